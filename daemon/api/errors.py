"""The daemon's domain errors as HTTP answers: one table, code → status.

The domain (:mod:`daemon.errors`) says what went wrong; only here does it
become a status, the one the catalogue (:data:`protocol.errors.LOCAL`) gives
its code. Two kinds of code are not in the table, by design: a card
the service refuses (``card_<status>``, whatever status the centre gives the
card) is 409, and the card centre's own refusals keep the centre's status.
A code missing from the table is a bug (``tests/daemon/test_errors.py``
checks every code the domain raises) and answers 500.
"""

from __future__ import annotations

import logging
from typing import Any

from daemon.errors import CardNotUsable, CentralRefusal, KioskError
from protocol.errors import LOCAL, error_body

__all__ = ["body_of", "status_of"]

logger = logging.getLogger(__name__)


def status_of(error: KioskError) -> int:
    if isinstance(error, CentralRefusal):
        return error.central_status
    if isinstance(error, CardNotUsable):
        return 409
    entry = LOCAL.get(error.code)
    if entry is None:
        logger.error("no HTTP status for the domain error code %r", error.code)
        return 500
    return entry.status


def body_of(error: KioskError) -> dict[str, Any]:
    """The project's error shape (:func:`protocol.errors.error_body`) of a domain error."""
    return error_body(error.code, error.message, error.message_zh, error.details)
