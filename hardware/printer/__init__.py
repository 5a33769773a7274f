"""The thermal receipt printer, through python-escpos, and receipt rendering.

Only this package imports ``escpos``. Modules, one job each:

* :mod:`~hardware.printer.model` — the one receipt model (title, lines, QR, footer).
* :mod:`~hardware.printer.receipts` — builders for every receipt type, zh/en.
* :mod:`~hardware.printer.labels` — every printed word in both languages.
* :mod:`~hardware.printer.text` — masking, printable text, CJK column widths.
* :mod:`~hardware.printer.layout` — receipt → rows of exact columns for a paper width.
* :mod:`~hardware.printer.encode` — rows → ESC/POS (GB18030 text or raster).
* :mod:`~hardware.printer.preview` — rows → PNG, same geometry.
* :mod:`~hardware.printer.qr` — the QR payload and its MAC.
* :mod:`~hardware.printer.status` — DLE EOT answers → :class:`PrinterStatus`.
* :mod:`~hardware.printer.devices` — backends from config; error translation.
* :mod:`~hardware.printer.sim` — the simulated printer (escpos ``Dummy``).
* :mod:`~hardware.printer.printer` — :class:`ReceiptPrinter`.

Exceptions::

    HardwareError                 (hardware.errors)
    └── PrinterError
        ├── PrinterUnavailable    cannot open: not found, no permission, no pyusb
        ├── PrinterWriteError     bytes not sent: cable pulled, timeout, socket closed
        ├── PrinterNotReady       the printer said no: paper out, cover open, offline
        └── RenderError           a receipt cannot be rendered
            └── FontNotFound      no CJK font for previews / raster mode

escpos, pyusb, pyserial and socket errors are translated in
:func:`hardware.printer.devices.translate_errors`; nothing from escpos leaves
this package. Builders raise ``ValueError`` for facts that do not add up.
"""

# before escpos is first imported (the modules below): its printer database, kept
from hardware.printer import _escpos_cache
from hardware.printer.devices import open_device
from hardware.printer.errors import (
    FontNotFound,
    PrinterError,
    PrinterNotReady,
    PrinterUnavailable,
    PrinterWriteError,
    RenderError,
)
from hardware.printer.layout import Paper
from hardware.printer.model import Align, Blank, Receipt, Row, Rule, Text
from hardware.printer.printer import (
    PrintedReceipt,
    ReceiptPrinter,
    RenderedReceipt,
    printer_from_config,
)
from hardware.printer.qr import qr_payload, verify_qr_payload
from hardware.printer.receipts import (
    BillPayment,
    CashboxCollectionSlip,
    DailySettlement,
    FeedbackTicket,
    LossReport,
    PendingLoadVoucher,
    PrinterTestPage,
    ReceiptContext,
    Statement,
    StatementEntry,
    TopUp,
    bill_payment_receipt,
    build_receipt,
    collection_slip,
    feedback_ticket,
    loss_report_slip,
    pending_load_voucher,
    printer_test_page,
    settlement_report,
    statement_receipt,
    topup_receipt,
)
from hardware.printer.sim import SimPrinterDevice
from hardware.printer.status import PaperState, PrinterState, PrinterStatus, parse_status
from hardware.printer.text import mask_card, mask_phone

_escpos_cache.keep()

__all__ = [
    "Align",
    "BillPayment",
    "Blank",
    "CashboxCollectionSlip",
    "DailySettlement",
    "FeedbackTicket",
    "FontNotFound",
    "LossReport",
    "Paper",
    "PaperState",
    "PendingLoadVoucher",
    "PrintedReceipt",
    "PrinterError",
    "PrinterNotReady",
    "PrinterState",
    "PrinterStatus",
    "PrinterTestPage",
    "PrinterUnavailable",
    "PrinterWriteError",
    "Receipt",
    "ReceiptContext",
    "ReceiptPrinter",
    "RenderError",
    "RenderedReceipt",
    "Row",
    "Rule",
    "SimPrinterDevice",
    "Statement",
    "StatementEntry",
    "Text",
    "TopUp",
    "bill_payment_receipt",
    "build_receipt",
    "collection_slip",
    "feedback_ticket",
    "loss_report_slip",
    "mask_card",
    "mask_phone",
    "open_device",
    "parse_status",
    "pending_load_voucher",
    "printer_from_config",
    "printer_test_page",
    "qr_payload",
    "settlement_report",
    "statement_receipt",
    "topup_receipt",
    "verify_qr_payload",
]
