"""Guessing a card's secrets: wrong answers counted per card, a lock after too many.

One rule for every secret a cardholder proves — the payment password and the
holder's ID number: the ``pin_max_tries``-th wrong answer in a row locks that
secret of that card for ``pin_lock_s`` seconds, during which even the right
answer is refused; a right answer clears the count. Each secret has its own
count, so a finder who locks the payment password by guessing it leaves the
holder the ID to report the card lost with.

Counts are keyed by card number, not by card row: a number the centre does
not know is counted and locked exactly like a card whose secret was guessed
wrong, so the answers do not tell a guesser which numbers are cards. A
refusal commits (the route's transaction commits on a documented error), so a
wrong answer counts even though the answer is an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from central import db
from central.db import Connection
from central.errors import ApiError
from central.risk import PinFailure
from central.router import Request
from central.routes.common import iso
from central.routes.riskfeed import observe

__all__ = ["IDENTITY", "PIN", "Secret", "locked_until", "prove"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Secret:
    """A secret a cardholder proves, and the codes its refusals carry."""

    name: str  # the key in secret_tries
    wrong: str
    locked: str


PIN = Secret("pin", "pin_wrong", "pin_locked")
IDENTITY = Secret("identity", "identity_mismatch", "identity_locked")


def locked_until(conn: Connection, card_no: str, secret: Secret,
                 now: float) -> int | None:
    """When the secret's lock ends, or None if it is not locked now."""
    row = db.one(conn, "SELECT locked_until FROM secret_tries WHERE card_no = :card_no "
                 "AND secret = :secret", card_no=card_no, secret=secret.name)
    until = None if row is None else row["locked_until"]
    return int(until) if until is not None and until > now else None


def prove(req: Request, card_no: str, secret: Secret, answer: Callable[[], bool]) -> None:
    """Refuse while the secret is locked; otherwise judge ``answer()`` and count it.

    ``answer`` may raise a refusal of its own (a PIN block that cannot be
    decoded): that is not an answer and is not counted.
    """
    conn, now, settings = req.conn, int(req.now), req.settings
    row = db.one(conn, "SELECT failures, locked_until FROM secret_tries "
                 "WHERE card_no = :card_no AND secret = :secret",
                 card_no=card_no, secret=secret.name)
    until = None if row is None else row["locked_until"]
    if until is not None and until > now:
        _refuse_locked(secret, until, now)
    # A lock that has run out starts a fresh count.
    failures = 0 if row is None or until is not None else int(row["failures"])
    if answer():
        db.run(conn, "DELETE FROM secret_tries WHERE card_no = :card_no AND secret = :secret",
               card_no=card_no, secret=secret.name)
        return
    failures += 1
    if secret is PIN:
        observe(req, PinFailure(card_no, req.kiosk_id))
    if failures >= settings.pin_max_tries:
        until = now + settings.pin_lock_s
        _store(conn, card_no, secret, 0, until)
        logger.warning("%s checks locked for %d s after %d wrong answers", secret.name,
                       settings.pin_lock_s, failures)
        _refuse_locked(secret, until, now, reason="too_many_wrong")
    _store(conn, card_no, secret, failures, None)
    raise ApiError(secret.wrong, tries_left=settings.pin_max_tries - failures)


def _store(conn: Connection, card_no: str, secret: Secret, failures: int,
           until: int | None) -> None:
    db.run(conn, "INSERT INTO secret_tries (card_no, secret, failures, locked_until) "
           "VALUES (:card_no, :secret, :failures, :until) ON CONFLICT (card_no, secret) "
           "DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
           card_no=card_no, secret=secret.name, failures=failures, until=until)


def _refuse_locked(secret: Secret, until: int, now: int, **extra: str) -> NoReturn:
    raise ApiError(secret.locked, **extra, locked_until=iso(until), retry_after_s=until - now,
                   tries_left=0)
