"""The daemon's domain errors as HTTP answers: one table, code → status.

The domain (:mod:`daemon.errors`) says what went wrong; only here does it
become a status. Two kinds of code are not in the table, by design: a card
the service refuses (``card_<status>``, whatever status the centre gives the
card) is 409, and the card centre's own refusals keep the centre's status.
A code missing from the table is a bug (``tests/daemon/test_errors.py``
checks every code the domain raises) and answers 500.
"""

from __future__ import annotations

import logging
from typing import Any

from daemon.errors import CardNotUsable, CentralRefusal, KioskError
from protocol.errors import error_body

__all__ = ["STATUS", "body_of", "status_of"]

logger = logging.getLogger(__name__)

STATUS: dict[str, int] = {
    # the request is wrong
    "bad_pin": 400, "pin_required": 400, "bad_period": 400, "bad_points": 400,
    "bad_id_last6": 400, "bad_card_no": 400, "pin_or_id": 400, "bad_category": 400,
    "bad_text": 400,
    # not now, or not for this card
    "session_busy": 409, "no_card": 409, "wrong_step": 409, "limit_reached": 409,
    "cash_inserted": 409, "no_pending_load": 409, "load_in_progress": 409,
    "bill_already_paid": 409,
    # the kiosk or the card centre cannot serve now
    "maintenance": 503, "central_offline": 503, "central_malformed": 502,
}


def status_of(error: KioskError) -> int:
    if isinstance(error, CentralRefusal):
        return error.central_status
    if isinstance(error, CardNotUsable):
        return 409
    status = STATUS.get(error.code)
    if status is None:
        logger.error("no HTTP status for the domain error code %r", error.code)
        return 500
    return status


def body_of(error: KioskError) -> dict[str, Any]:
    """The project's error shape (:func:`protocol.errors.error_body`) of a domain error."""
    return error_body(error.code, error.message, error.message_zh, error.details)
