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
from protocol.errors import LOCAL, error_body

__all__ = ["STATUS", "body_of", "status_of"]

logger = logging.getLogger(__name__)

# The domain's codes; their statuses are the one catalogue's (protocol.errors).
DOMAIN_CODES = (
    # the request is wrong
    "bad_pin", "pin_required", "bad_period", "bad_points", "bad_id_last6", "bad_card_no",
    "pin_or_id", "bad_category", "bad_text", "bad_transaction",
    # not now, or not for this card
    "session_busy", "no_card", "wrong_step", "limit_reached", "cash_inserted",
    "no_pending_load", "load_in_progress", "bill_already_paid",
    # the loss-report lifecycle
    "card_not_lost", "transfer_none", "transfer_not_yet", "transfer_done",
    # the kiosk or the card centre cannot serve now
    "maintenance", "central_offline", "central_malformed",
)
STATUS: dict[str, int] = {code: LOCAL[code].status for code in DOMAIN_CODES}


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
