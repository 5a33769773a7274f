"""Payment password: PIN blocks only, wrong tries counted, locked after three."""

from __future__ import annotations

import time
from typing import Any

from central import pinblock
from tests.central.helpers import (
    DEMO_PIN,
    LIU,
    UNKNOWN,
    WANG,
    ZHANG,
    Central,
    error_of,
    pin_block,
)


def verify(central: Central, pin: str, card_no: str = ZHANG) -> Any:
    return central.client.post(f"/v1/cards/{card_no}/pin/verify",
                               {"pin_block": pin_block(central, pin, card_no)})


def test_right_password_verifies(central: Central) -> None:
    resp = verify(central, DEMO_PIN)
    assert resp.status_code == 200
    assert resp.json() == {"card_no": ZHANG, "verified": True, "pin_set": True}


def test_three_wrong_tries_lock_the_password(start_central: Any) -> None:
    central = start_central(pin_lock_s=1)
    assert error_of(verify(central, "999999"), 422, "pin_wrong") == {"tries_left": 2}
    assert error_of(verify(central, "999998"), 422, "pin_wrong") == {"tries_left": 1}
    details = error_of(verify(central, "999997"), 423, "pin_locked")
    assert details["reason"] == "too_many_wrong"
    error_of(verify(central, DEMO_PIN), 423, "pin_locked")  # even the right one, for now
    assert central.client.get(f"/v1/cards/{ZHANG}").json()["pin_locked_until"] is not None
    time.sleep(1.1)
    assert verify(central, DEMO_PIN).status_code == 200
    assert error_of(verify(central, "999999"), 422, "pin_wrong") == {"tries_left": 2}


def test_a_right_password_resets_the_count(central: Central) -> None:
    error_of(verify(central, "999999"), 422, "pin_wrong")
    error_of(verify(central, "999999"), 422, "pin_wrong")
    assert verify(central, DEMO_PIN).status_code == 200
    assert error_of(verify(central, "999999"), 422, "pin_wrong") == {"tries_left": 2}


def test_block_under_another_key_is_invalid_and_not_counted(central: Central) -> None:
    foreign = pinblock.encode(DEMO_PIN, ZHANG, pinblock.pin_key(b"some-other-kiosk-secret"))
    resp = central.client.post(f"/v1/cards/{ZHANG}/pin/verify", {"pin_block": foreign})
    error_of(resp, 422, "pin_block_invalid")
    assert central.sql("SELECT pin_failures FROM cards WHERE card_no = ?", ZHANG)[0][0] == 0


def test_set_the_first_password_with_the_holder_id(central: Central) -> None:
    error_of(verify(central, "135790", WANG), 409, "pin_not_set")
    body = {"new_pin_block": pin_block(central, "135790", WANG), "id_last6": "000000"}
    error_of(central.client.post(f"/v1/cards/{WANG}/pin/set", body), 422, "identity_mismatch")
    weak = {"new_pin_block": pin_block(central, "123456", WANG), "id_last6": WANG[-6:]}
    error_of(central.client.post(f"/v1/cards/{WANG}/pin/set", weak), 422, "pin_weak")
    body["id_last6"] = WANG[-6:]
    resp = central.client.post(f"/v1/cards/{WANG}/pin/set", body)
    assert resp.status_code == 200 and resp.json()["pin_set"] is True
    assert verify(central, "135790", WANG).status_code == 200
    error_of(central.client.post(f"/v1/cards/{WANG}/pin/set", body), 409, "pin_already_set")


def test_change_needs_the_old_password(central: Central) -> None:
    wrong = {"old_pin_block": pin_block(central, "000111", ZHANG),
             "new_pin_block": pin_block(central, "246813", ZHANG)}
    error_of(central.client.post(f"/v1/cards/{ZHANG}/pin/change", wrong), 422, "pin_wrong")
    right = {**wrong, "old_pin_block": pin_block(central, DEMO_PIN, ZHANG)}
    assert central.client.post(f"/v1/cards/{ZHANG}/pin/change", right).status_code == 200
    error_of(verify(central, DEMO_PIN), 422, "pin_wrong")
    assert verify(central, "246813").status_code == 200


def test_password_is_never_stored_in_clear(central: Central) -> None:
    row = central.sql("SELECT pin_hash, pin_salt FROM cards WHERE card_no = ?", ZHANG)[0]
    assert DEMO_PIN.encode() not in bytes(row[0]) and len(bytes(row[1])) == 16


def test_pin_refusals_for_unknown_and_lost_cards(central: Central) -> None:
    error_of(verify(central, DEMO_PIN, UNKNOWN), 404, "card_unknown")
    body = {"old_pin_block": pin_block(central, DEMO_PIN, LIU),
            "new_pin_block": pin_block(central, "246813", LIU)}
    error_of(central.client.post(f"/v1/cards/{LIU}/pin/change", body), 409, "card_lost")
    error_of(central.client.post(f"/v1/cards/{ZHANG}/pin/verify", {"pin_block": "12"}), 400,
             "validation_error")
