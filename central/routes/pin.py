"""Payment password (支付密码): verify, set and change, and the checks other routes share.

PINs arrive only as format-4 PIN blocks under the calling kiosk's PIN key
(:mod:`protocol.pinblock`) and are stored as peppered scrypt verifiers
(:mod:`central.keys`; older PBKDF2 ones are upgraded when next proven right). Wrong
passwords and wrong ID numbers (``id_last6``) are counted per card and locked
by one rule (:mod:`central.routes.lockout`): the ``pin_max_tries``-th wrong answer
locks that check for ``pin_lock_s`` seconds (``pin_locked`` /
``identity_locked``).
"""

from __future__ import annotations

import hmac
import itertools
import logging
import secrets

from central import db, keys
from central.db import RowMapping
from central.errors import ApiError
from central.keys import DEFAULT_PIN_KDF, PinKdf, kiosk_secrets
from central.router import Reply, Request, Route
from central.routes import lockout
from central.routes.common import CARD_STATE_ERRORS, card_or_404, find_card, require_usable
from protocol import central as c
from protocol import pinblock

__all__ = ["ROUTES", "check_identity", "check_pin", "check_pin_of", "hash_pin", "is_weak"]

logger = logging.getLogger(__name__)

# Hashed against for a card number the centre does not know, so that answer
# costs the same time as a wrong password.
_DECOY_SALT = bytes(16)


def hash_pin(pin: str, salt: bytes, kdf: PinKdf = DEFAULT_PIN_KDF,
             pepper: bytes | None = None) -> tuple[bytes, str]:
    """``(verifier, pin_kdf label)``: scrypt over the peppered PIN (:mod:`central.keys`)."""
    return keys.hash_pin(pin, salt, kdf, pepper)


def is_weak(pin: str) -> bool:
    """Six digits, not all equal, not a straight run up or down."""
    if len(pin) != 6 or not pin.isdigit():
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({0}, {1}, {9})


def _decode(req: Request, card_no: str, block: str) -> str:
    """The PIN in a block made under the kiosk's PIN key. During a secret rotation's
    overlap the kiosk may have made it under either secret's key: a block opened under
    the wrong key fails format 4's checks, so each valid secret is tried in turn."""
    found = kiosk_secrets(req.conn, req.kiosk_id, req.now, req.settings.secret_key)
    assert found  # the request was authenticated with one of them
    problem: pinblock.PinBlockError | None = None
    for secret in found:
        try:
            return pinblock.decode(block, card_no, pinblock.pin_key(secret))
        except pinblock.PinBlockError as exc:
            problem = problem or exc
    raise ApiError("pin_block_invalid", str(problem)) from None


def check_pin(req: Request, card: RowMapping, block: str) -> None:
    """Verify a PIN block against the card's payment password, counting wrong tries."""
    check_pin_of(req, card["card_no"], card, block)


def check_pin_of(req: Request, card_no: str, card: RowMapping | None, block: str) -> None:
    """:func:`check_pin` for a typed card number: a number the centre does not
    know (``card`` None) is answered like a card whose password is wrong."""
    if card is not None and card["pin_hash"] is None:
        raise ApiError("pin_not_set", card_no=card_no)

    settings = req.settings

    def answer() -> bool:
        pin = _decode(req, card_no, block)
        if card is None:
            hash_pin(pin, _DECOY_SALT, settings.pin_kdf, settings.pepper)
            return False
        right = keys.verify_pin(pin, bytes(card["pin_salt"]), bytes(card["pin_hash"]),
                                card["pin_kdf"], pepper=settings.pepper)
        if right and keys.needs_upgrade(card["pin_kdf"], settings.pin_kdf, settings.pepper):
            _write(req, card_no, pin)  # today's cost and pepper, now that the PIN is known
            logger.info("payment-password verifier upgraded to %s",
                        settings.pin_kdf.label(settings.pepper))
        return right

    lockout.prove(req, card_no, lockout.PIN, answer)


def check_identity(req: Request, card_no: str, card: RowMapping | None, id_last6: str) -> None:
    """The last 6 of the holder's ID, counted and locked like the payment password.
    A number the centre does not know gets exactly the answer a wrong ID gets."""
    def answer() -> bool:
        return card is not None and hmac.compare_digest(
            id_last6.upper().encode(), str(card["id_last6"]).upper().encode())

    lockout.prove(req, card_no, lockout.IDENTITY, answer)


def _store(req: Request, card_no: str, pin: str) -> None:
    if is_weak(pin):
        raise ApiError("pin_weak", "The payment password must be 6 digits, not all the same "
                       "and not a straight run.",
                       message_zh="支付密码须为6位数字，不能全部相同或连续。")
    _write(req, card_no, pin)


def _write(req: Request, card_no: str, pin: str) -> None:
    salt = secrets.token_bytes(16)
    verifier, label = hash_pin(pin, salt, req.settings.pin_kdf, req.settings.pepper)
    db.run(req.conn, "UPDATE cards SET pin_hash = :pin_hash, pin_salt = :salt, pin_kdf = :kdf"
           " WHERE card_no = :card_no", pin_hash=verifier, salt=salt, kdf=label,
           card_no=card_no)


def _result(card_no: str, verified: bool) -> Reply:
    return Reply(200, {"card_no": card_no, "verified": verified, "pin_set": True})


def verify(req: Request) -> Reply:
    card = card_or_404(req.conn, req.params["card_no"])
    check_pin(req, card, req.body["pin_block"])
    return _result(card["card_no"], True)


def set_pin(req: Request) -> Reply:
    # The ID first: until it is proven, the answer says nothing about the card.
    card_no = req.params["card_no"]
    card = find_card(req.conn, card_no)
    check_identity(req, card_no, card, req.body["id_last6"])
    assert card is not None  # an unknown number never passes the check
    require_usable(req, card, "pin_set")
    if card["pin_hash"] is not None:
        raise ApiError("pin_already_set")
    _store(req, card["card_no"], _decode(req, card["card_no"], req.body["new_pin_block"]))
    return _result(card["card_no"], False)


def change_pin(req: Request) -> Reply:
    card = card_or_404(req.conn, req.params["card_no"])
    require_usable(req, card, "pin_change")
    new_pin = _decode(req, card["card_no"], req.body["new_pin_block"])
    check_pin(req, card, req.body["old_pin_block"])
    _store(req, card["card_no"], new_pin)
    return _result(card["card_no"], True)


_PIN_ERRORS = ("card_unknown", "pin_not_set", "pin_wrong", "pin_locked", "pin_block_invalid")

ROUTES = [
    Route("POST", "/v1/cards/{card_no}/pin/verify", verify, "verifyPin",
          "Verify the payment password", "payment password",
          response="PinResult",
          body=c.PinVerify,
          errors=_PIN_ERRORS),
    Route("POST", "/v1/cards/{card_no}/pin/set", set_pin, "setPin",
          "Set the first payment password (needs the holder's ID number)", "payment password",
          response="PinResult",
          body=c.PinSet,
          errors=("identity_mismatch", "identity_locked", *CARD_STATE_ERRORS,
                  "pin_already_set", "pin_block_invalid", "pin_weak"),
          description="A card number the centre does not know is answered exactly like a "
                      "wrong ID (identity_mismatch, counted and locked the same way)."),
    Route("POST", "/v1/cards/{card_no}/pin/change", change_pin, "changePin",
          "Change the payment password", "payment password",
          response="PinResult",
          body=c.PinChange,
          errors=(*_PIN_ERRORS, *CARD_STATE_ERRORS, "pin_weak")),
]
