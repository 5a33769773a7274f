"""ReceiptPrinter over the simulated device and over real escpos backends."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.schema import PrinterSection
from hardware.errors import HardwareError
from hardware.printer import (
    FontNotFound,
    PrinterError,
    PrinterNotReady,
    PrinterState,
    PrinterUnavailable,
    PrinterWriteError,
    ReceiptContext,
    ReceiptPrinter,
    SimPrinterDevice,
    printer_from_config,
)
from hardware.printer.preview import CJK_FONT_PATHS, find_font, load_fonts
from hardware.printer.samples import sample_receipt
from tests.hardware.printer.escpos_reader import read


@pytest.fixture
def sim_printer() -> Iterator[ReceiptPrinter]:
    with printer_from_config(PrinterSection(backend="sim", paper_width_mm=58)) as printer:
        yield printer


def _device(printer: ReceiptPrinter) -> SimPrinterDevice:
    assert isinstance(printer.device, SimPrinterDevice)
    return printer.device


def test_sim_keeps_bytes_and_a_preview_per_receipt(sim_printer: ReceiptPrinter) -> None:
    first = sim_printer.print_receipt(sample_receipt("topup", "zh", 32))
    second = sim_printer.print_receipt(sample_receipt("loss", "en", 32))
    assert list(sim_printer.receipts) == [first, second]
    assert _device(sim_printer).output == first.data + second.data
    for printed in (first, second):
        assert printed.png is not None and printed.png.startswith(b"\x89PNG")
        assert printed.status.state is PrinterState.OK
    assert "充值凭条" in read(first.data).text[0]
    assert "printed=2" in repr(sim_printer) and "58mm/32col" in repr(sim_printer)


@pytest.mark.parametrize(
    ("setting", "state"),
    [("paper_out", PrinterState.PAPER_OUT), ("cover_open", PrinterState.COVER_OPEN),
     ("offline", PrinterState.OFFLINE), ("cutter_error", PrinterState.ERROR)],
)
def test_printer_that_says_no_is_not_sent_the_receipt(
    sim_printer: ReceiptPrinter, setting: str, state: PrinterState
) -> None:
    setattr(_device(sim_printer), setting, True)
    with pytest.raises(PrinterNotReady) as caught:
        sim_printer.print_receipt(sample_receipt("topup", "en", 32))
    assert caught.value.status.state is state
    assert _device(sim_printer).output == b""
    assert sim_printer.status().state is state
    assert not sim_printer.receipts


def test_near_end_still_prints(sim_printer: ReceiptPrinter) -> None:
    _device(sim_printer).paper_near_end = True
    printed = sim_printer.print_receipt(sample_receipt("topup", "en", 32))
    assert printed.status.state is PrinterState.PAPER_NEAR_END


def test_silent_printer_is_unknown_and_the_print_goes_ahead(sim_printer: ReceiptPrinter) -> None:
    device = _device(sim_printer)
    device.silent = True
    device.paper_out = True  # it would say so, if it answered
    assert sim_printer.status().state is PrinterState.UNKNOWN
    printed = sim_printer.print_receipt(sample_receipt("topup", "en", 32))
    assert printed.status.state is PrinterState.UNKNOWN
    assert device.output == printed.data
    assert device.status_queries == 2  # one per status check: silence stops the round


def test_write_failure_is_our_error(sim_printer: ReceiptPrinter) -> None:
    _device(sim_printer).fail_writes = True
    with pytest.raises(PrinterWriteError) as caught:
        sim_printer.print_receipt(sample_receipt("topup", "en", 32))
    assert isinstance(caught.value, HardwareError)
    assert isinstance(caught.value.__cause__, OSError)


def test_close_is_idempotent(sim_printer: ReceiptPrinter) -> None:
    sim_printer.close()
    sim_printer.close()
    assert sim_printer.closed and "closed" in repr(sim_printer)
    with pytest.raises(PrinterError):
        sim_printer.status()


def test_file_backend_writes_the_bytes(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    section = PrinterSection(backend="file", file_path=target, paper_width_mm=80)
    with printer_from_config(section) as printer:
        assert printer.previews is False
        status = printer.status()
        assert status.state is PrinterState.UNKNOWN
        assert "cannot read" in status.detail
        printed = printer.print_receipt(sample_receipt("test", "zh"))
        assert printed.png is None
    assert target.read_bytes() == printed.data


def test_file_backend_missing_directory_is_unavailable(tmp_path: Path) -> None:
    section = PrinterSection(backend="file", file_path=tmp_path / "no" / "lp0")
    with printer_from_config(section) as printer:
        assert printer.status().state is PrinterState.UNKNOWN
        with pytest.raises(PrinterUnavailable):
            printer.print_receipt(sample_receipt("test", "en"))


def test_serial_backend_missing_port_is_unavailable() -> None:
    section = PrinterSection(backend="serial", serial_device="/dev/nonexistent-tty")
    with printer_from_config(section) as printer:
        assert printer.status().state is PrinterState.UNKNOWN
        with pytest.raises(PrinterUnavailable, match="not found"):
            printer.print_receipt(sample_receipt("test", "en"))


def test_unknown_escpos_profile_is_reported() -> None:
    with pytest.raises(PrinterUnavailable, match="profile 'no-such-printer'"):
        printer_from_config(PrinterSection(backend="network", profile="no-such-printer"))


def test_usb_backend_without_pyusb_says_what_to_install() -> None:
    try:
        import usb  # noqa: F401
    except ImportError:
        with pytest.raises(PrinterUnavailable, match="pyusb"):
            printer_from_config(PrinterSection(backend="usb"))
    else:
        pytest.skip("pyusb is installed; the missing-library path cannot be shown")


class FakeNetworkPrinter:
    """A TCP printer on localhost: records bytes, answers DLE EOT with ``status``."""

    def __init__(self, status: dict[int, int] | None = None) -> None:
        self.status = status if status is not None else {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
        self.received = bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                while chunk := conn.recv(65536):
                    if len(chunk) == 3 and chunk[:2] == b"\x10\x04":
                        if chunk[2] in self.status:
                            conn.sendall(bytes([self.status[chunk[2]]]))
                    else:
                        self.received += chunk

    def close(self) -> None:
        self.server.close()


def test_network_backend_prints_and_reads_status() -> None:
    fake = FakeNetworkPrinter({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E})
    try:
        section = PrinterSection(backend="network", host="127.0.0.1", port=fake.port,
                                 paper_width_mm=58, chinese="raster")
        with printer_from_config(section) as printer:
            assert printer.status().state is PrinterState.PAPER_NEAR_END
            printed = printer.print_receipt(sample_receipt("statement", "en", 32))
            assert f"network:127.0.0.1:{fake.port}" in repr(printer)
        for _ in range(200):
            if len(fake.received) >= len(printed.data):
                break
            threading.Event().wait(0.01)
        assert bytes(fake.received) == printed.data
        assert read(printed.data).raster
    finally:
        fake.close()


def test_network_printer_that_is_off_is_unknown_then_unavailable() -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    section = PrinterSection(backend="network", host="127.0.0.1", port=port)
    with printer_from_config(section) as printer:
        status = printer.status()
        assert status.state is PrinterState.UNKNOWN and status.detail
        with pytest.raises(PrinterUnavailable):
            printer.print_receipt(sample_receipt("test", "en"))


def test_default_device_is_simulated() -> None:
    with ReceiptPrinter() as printer:
        assert printer.simulated and printer.paper.columns == 48
        assert printer.status().state is PrinterState.OK


def test_test_page_shows_this_printers_settings(sim_printer: ReceiptPrinter) -> None:
    ctx = ReceiptContext("KIOSK-DEV-0001", "en", b"key")
    printed = sim_printer.print_test_page(ctx, reference="TP-1")
    text = read(printed.data).text
    assert any("sim" in line and "Backend" in line for line in text)
    assert any("58 mm" in line for line in text)
    assert "12345678901234567890123456789012" in text  # the 32-column ruler
    assert printed.receipt.kind == "test"
    snapshot = sim_printer.snapshot()
    assert snapshot["status"]["state"] == "ok" and snapshot["printed"] == 1
    assert snapshot["columns"] == 32


def test_missing_cjk_font_fails_clearly() -> None:
    with pytest.raises(FontNotFound, match="fonts-wqy-microhei"):
        load_fonts(cjk_paths=("/nonexistent/font.ttc",), cjk_pattern=":lang=xx-nonexistent")
    assert find_font(("/nonexistent/font.ttc",), ":lang=xx-nonexistent") is None
    found = find_font(CJK_FONT_PATHS, ":lang=zh-cn")
    assert found is not None and found.is_file()


def test_a_preview_does_not_keep_the_font_files_mapped(sim_printer: ReceiptPrinter) -> None:
    # FreeType maps the font file; a cached face kept ~2.4 MB of the CJK font
    # resident in kioskd after its first receipt (docs/PERFORMANCE.md).
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("needs /proc (Linux)")
    cjk = find_font(CJK_FONT_PATHS, ":lang=zh-cn")
    assert cjk is not None
    printed = sim_printer.print_receipt(sample_receipt("topup", "zh", 48), preview=True)
    assert printed.png is not None and printed.png.startswith(b"\x89PNG")
    assert str(cjk) not in maps.read_text()


def test_the_sim_keeps_only_the_last_receipts_bytes() -> None:
    # A simulated kiosk prints for weeks: every receipt's bytes kept for ever was
    # about 1 kB a receipt of kioskd's memory in the soak (docs/RELIABILITY.md).
    device = SimPrinterDevice()
    device.keep = 2
    printer = ReceiptPrinter(device=device)
    printed = [printer.print_receipt(sample_receipt("topup", "en", 32)) for _ in range(4)]
    assert device.output == printed[-2].data + printed[-1].data
