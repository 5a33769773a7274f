"""Errors of the cash acceptor package (tree drawn in :mod:`hardware.cash`)."""

from __future__ import annotations

from hardware.errors import HardwareError

__all__ = ["AcceptorClosed", "CashConfigError", "CashError"]


class CashError(HardwareError):
    """Something about the cash acceptor went wrong."""


class CashConfigError(CashError, ValueError):
    """The pulse table or timing cannot describe a working acceptor."""


class AcceptorClosed(CashError):
    """The acceptor (or its simulator) was used after ``close()``."""
