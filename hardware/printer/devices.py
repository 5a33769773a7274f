"""Printer backends from config, and foreign errors translated into ours.

:func:`open_device` builds the python-escpos object for ``printer.backend``
(``usb``, ``serial``, ``network``, ``file``, ``sim``) without touching the
hardware: a printer that is off at start-up is a status, not a crash. The
:func:`translate_errors` context manager is the one place where escpos, pyusb,
pyserial and socket errors become :class:`~hardware.printer.errors.PrinterError`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.exceptions import Error as EscposError

from config.schema import PrinterSection
from hardware.printer.errors import PrinterUnavailable, PrinterWriteError
from hardware.printer.sim import SimPrinterDevice

__all__ = ["describe", "open_device", "translate_errors"]

log = logging.getLogger(__name__)

USB_TIMEOUT_MS = 2000
SERIAL_TIMEOUT_S = 0.2  # a status byte comes back within milliseconds
NETWORK_TIMEOUT_S = 5.0


def open_device(section: PrinterSection) -> Escpos:
    """The escpos device object for ``section`` (opened lazily on first use)."""
    try:
        return _build(section)
    except KeyError as exc:  # escpos's way of saying "no such profile"
        raise PrinterUnavailable(
            f"unknown python-escpos printer profile {section.profile!r}"
        ) from exc


def _build(section: PrinterSection) -> Escpos:
    backend = section.backend
    with translate_errors(f"{backend} printer"):
        if backend == "sim":
            return SimPrinterDevice()
        if backend == "usb":
            from escpos.printer import Usb

            if not Usb.is_usable():
                raise PrinterUnavailable(
                    "the usb printer backend needs pyusb (pip install pyusb; "
                    "Debian: python3-usb)"
                )
            return Usb(section.usb_vendor_id, section.usb_product_id, timeout=USB_TIMEOUT_MS,
                       profile=section.profile)
        if backend == "serial":
            from escpos.printer import Serial

            return Serial(section.serial_device, baudrate=section.serial_baudrate,
                          timeout=SERIAL_TIMEOUT_S, profile=section.profile)
        if backend == "network":
            from escpos.printer import Network

            return Network(section.host, section.port, timeout=NETWORK_TIMEOUT_S,
                           profile=section.profile)
        if backend == "file":
            from escpos.printer import File

            return File(str(section.file_path), profile=section.profile)
    raise PrinterUnavailable(f"unknown printer backend {backend!r}")


def describe(section: PrinterSection) -> str:
    """Where the printer is, for logs and ``kioskctl status``."""
    return {
        "usb": f"usb:{section.usb_vendor_id:04x}:{section.usb_product_id:04x}",
        "serial": f"serial:{section.serial_device}@{section.serial_baudrate}",
        "network": f"network:{section.host}:{section.port}",
        "file": f"file:{section.file_path}",
        "sim": "sim",
    }.get(section.backend, section.backend)


@contextlib.contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Re-raise escpos / usb / serial / socket errors as PrinterError subclasses."""
    try:
        yield
    except DeviceNotFoundError as exc:
        raise PrinterUnavailable(f"{what}: not found ({_one_line(exc)})") from exc
    except (EscposError, RuntimeError) as exc:
        # escpos raises RuntimeError when a backend's library (pyusb) is missing
        raise PrinterUnavailable(f"{what}: {_one_line(exc)}") from exc
    except AssertionError as exc:
        # escpos asserts a connection before each raw write
        raise PrinterUnavailable(f"{what}: not connected") from exc
    except (OSError, ValueError) as exc:
        # usb.core.USBError, serial.SerialException and socket errors are OSErrors
        raise PrinterWriteError(f"{what}: {_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
