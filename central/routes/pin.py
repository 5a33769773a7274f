"""Payment password (支付密码): verify, set and change, and the check other routes share.

PINs arrive only as format-0 PIN blocks under the calling kiosk's PIN key
(:mod:`central.pinblock`) and are stored as salted PBKDF2 hashes. Wrong
tries are counted per card; the ``pin_max_tries``-th wrong try locks the
password for ``pin_lock_s`` seconds (``pin_locked``). A refusal commits, so
a wrong try counts even though the answer is an error.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import secrets
import sqlite3

from central import pinblock
from central.auth import kiosk_secret
from central.errors import ApiError
from central.router import Reply, Request, Route
from central.routes.common import CARD_STATE_ERRORS, card_or_404, iso, require_usable
from central.schemas import PIN_BLOCK

__all__ = ["ROUTES", "check_pin", "hash_pin", "is_weak"]

logger = logging.getLogger(__name__)

_ITERATIONS = 20_000
_ID_LAST6 = {"type": "string", "pattern": "^[0-9]{5}[0-9Xx]$",
             "description": "last 6 characters of the holder's ID number"}


def hash_pin(pin: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _ITERATIONS)


def is_weak(pin: str) -> bool:
    """Six digits, not all equal, not a straight run up or down."""
    if len(pin) != 6 or not pin.isdigit():
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({0}, {1}, {9})


def _decode(req: Request, card_no: str, block: str) -> str:
    secret = kiosk_secret(req.conn, req.kiosk_id)
    assert secret is not None  # the request was authenticated with it
    try:
        return pinblock.decode(block, card_no, pinblock.pin_key(secret))
    except pinblock.PinBlockError as exc:
        raise ApiError("pin_block_invalid", str(exc)) from None


def check_pin(req: Request, card: sqlite3.Row, block: str) -> None:
    """Verify a PIN block against the card's payment password, counting wrong tries."""
    conn, now, settings = req.conn, int(req.now), req.settings
    card_no = card["card_no"]
    if card["pin_hash"] is None:
        raise ApiError("pin_not_set", card_no=card_no)
    locked_until = card["pin_locked_until"]
    if locked_until is not None and locked_until > now:
        raise ApiError("pin_locked", locked_until=iso(locked_until),
                       retry_after_s=locked_until - now)
    failures = 0 if locked_until is not None else int(card["pin_failures"])
    pin = _decode(req, card_no, block)
    if hmac.compare_digest(hash_pin(pin, bytes(card["pin_salt"])), bytes(card["pin_hash"])):
        conn.execute("UPDATE cards SET pin_failures = 0, pin_locked_until = NULL "
                     "WHERE card_no = ?", (card_no,))
        return
    failures += 1
    if failures >= settings.pin_max_tries:
        until = now + settings.pin_lock_s
        conn.execute("UPDATE cards SET pin_failures = 0, pin_locked_until = ? "
                     "WHERE card_no = ?", (until, card_no))
        logger.warning("payment password locked after %d wrong tries", failures)
        raise ApiError("pin_locked", reason="too_many_wrong", locked_until=iso(until),
                       retry_after_s=settings.pin_lock_s)
    conn.execute("UPDATE cards SET pin_failures = ?, pin_locked_until = NULL "
                 "WHERE card_no = ?", (failures, card_no))
    raise ApiError("pin_wrong", tries_left=settings.pin_max_tries - failures)


def _store(req: Request, card_no: str, pin: str) -> None:
    if is_weak(pin):
        raise ApiError("pin_weak", "The payment password must be 6 digits, not all the same "
                       "and not a straight run.",
                       message_zh="支付密码须为6位数字，不能全部相同或连续。")
    salt = secrets.token_bytes(16)
    req.conn.execute("UPDATE cards SET pin_hash = ?, pin_salt = ?, pin_failures = 0, "
                     "pin_locked_until = NULL WHERE card_no = ?",
                     (hash_pin(pin, salt), salt, card_no))


def _result(card_no: str, verified: bool) -> Reply:
    return Reply(200, {"card_no": card_no, "verified": verified, "pin_set": True})


def verify(req: Request) -> Reply:
    card = card_or_404(req.conn, req.params["card_no"])
    check_pin(req, card, req.body["pin_block"])
    return _result(card["card_no"], True)


def set_pin(req: Request) -> Reply:
    card = card_or_404(req.conn, req.params["card_no"])
    require_usable(card, req.now)
    if card["pin_hash"] is not None:
        raise ApiError("pin_already_set")
    if not hmac.compare_digest(req.body["id_last6"].upper(), str(card["id_last6"]).upper()):
        raise ApiError("identity_mismatch")
    _store(req, card["card_no"], _decode(req, card["card_no"], req.body["new_pin_block"]))
    return _result(card["card_no"], False)


def change_pin(req: Request) -> Reply:
    card = card_or_404(req.conn, req.params["card_no"])
    require_usable(card, req.now)
    new_pin = _decode(req, card["card_no"], req.body["new_pin_block"])
    check_pin(req, card, req.body["old_pin_block"])
    _store(req, card["card_no"], new_pin)
    return _result(card["card_no"], True)


_PIN_ERRORS = ("card_unknown", "pin_not_set", "pin_wrong", "pin_locked", "pin_block_invalid")

ROUTES = [
    Route("POST", "/v1/cards/{card_no}/pin/verify", verify, "verifyPin",
          "Verify the payment password", "payment password",
          response="PinResult",
          body={"type": "object", "required": ["pin_block"], "additionalProperties": False,
                "properties": {"pin_block": PIN_BLOCK}},
          errors=_PIN_ERRORS),
    Route("POST", "/v1/cards/{card_no}/pin/set", set_pin, "setPin",
          "Set the first payment password (needs the holder's ID number)", "payment password",
          response="PinResult",
          body={"type": "object", "required": ["new_pin_block", "id_last6"],
                "additionalProperties": False,
                "properties": {"new_pin_block": PIN_BLOCK, "id_last6": _ID_LAST6}},
          errors=("card_unknown", *CARD_STATE_ERRORS,
                  "pin_already_set", "identity_mismatch", "pin_block_invalid", "pin_weak")),
    Route("POST", "/v1/cards/{card_no}/pin/change", change_pin, "changePin",
          "Change the payment password", "payment password",
          response="PinResult",
          body={"type": "object", "required": ["old_pin_block", "new_pin_block"],
                "additionalProperties": False,
                "properties": {"old_pin_block": PIN_BLOCK, "new_pin_block": PIN_BLOCK}},
          errors=(*_PIN_ERRORS, *CARD_STATE_ERRORS, "pin_weak")),
]
