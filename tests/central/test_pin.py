"""Payment password: PIN blocks only, wrong tries counted, locked after three."""

from __future__ import annotations

import time
from typing import Any

import pytest

from central.routes.pin import is_weak
from central.settings import Settings
from protocol import pinblock
from tests.central.helpers import (
    DEMO_PIN,
    LIU,
    UNKNOWN,
    WANG,
    ZHANG,
    Central,
    Clock,
    error_of,
    pin_block,
    same_answer,
)


def verify(central: Central, pin: str, card_no: str = ZHANG) -> Any:
    return central.client.post(f"/v1/cards/{card_no}/pin/verify",
                               {"pin_block": pin_block(central, pin, card_no)})


def test_right_password_verifies(central: Central) -> None:
    resp = verify(central, DEMO_PIN)
    assert resp.status_code == 200
    assert resp.json() == {"card_no": ZHANG, "verified": True, "pin_set": True}


def test_three_wrong_tries_lock_the_password(start_central: Any) -> None:
    # A lock long enough that a loaded machine still asks within it (1 s was not).
    central = start_central(pin_lock_s=5)
    assert error_of(verify(central, "999999"), 422, "pin_wrong") == {"tries_left": 2}
    assert error_of(verify(central, "999998"), 422, "pin_wrong") == {"tries_left": 1}
    details = error_of(verify(central, "999997"), 423, "pin_locked")
    assert details["reason"] == "too_many_wrong" and 0 < details["retry_after_s"] <= 5
    error_of(verify(central, DEMO_PIN), 423, "pin_locked")  # even the right one, for now
    assert central.client.get(f"/v1/cards/{ZHANG}").json()["pin_locked_until"] is not None
    time.sleep(details["retry_after_s"] + 0.5)
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
    assert central.sql("SELECT * FROM secret_tries WHERE card_no = ?", ZHANG) == []
    assert error_of(verify(central, "999999"), 422, "pin_wrong") == {"tries_left": 2}


def test_a_format_0_block_under_the_old_3des_key_is_refused(central: Central) -> None:
    """The wire moved to format 4 under AES: an 8-byte block as kiosks sent before is
    not a PIN block any more (the schema wants 16 bytes) and counts no wrong try."""
    resp = central.client.post(f"/v1/cards/{ZHANG}/pin/verify",
                               {"pin_block": "06147258FFFFFFFF"})
    error_of(resp, 400, "validation_error")
    assert central.sql("SELECT * FROM secret_tries WHERE card_no = ?", ZHANG) == []


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


def set_pin(central: Central, card_no: str, id_last6: str, pin: str = "135790") -> Any:
    return central.client.post(f"/v1/cards/{card_no}/pin/set",
                               {"new_pin_block": pin_block(central, pin, card_no),
                                "id_last6": id_last6})


def test_wrong_ids_are_counted_and_the_third_locks_until_the_lock_ends(
        start_central: Any) -> None:
    clock = Clock()
    central = start_central(clock=clock, pin_lock_s=60)
    assert error_of(set_pin(central, WANG, "000000"), 422, "identity_mismatch") == {
        "tries_left": 2}
    assert error_of(set_pin(central, WANG, "000001"), 422, "identity_mismatch") == {
        "tries_left": 1}
    locked = error_of(set_pin(central, WANG, "000002"), 423, "identity_locked")
    assert (locked["retry_after_s"], locked["tries_left"]) == (60, 0)
    assert locked["reason"] == "too_many_wrong" and locked["locked_until"]
    clock.advance(30)
    during = error_of(set_pin(central, WANG, WANG[-6:]), 423, "identity_locked")  # even right
    assert (during["retry_after_s"], during["locked_until"]) == (30, locked["locked_until"])
    error_of(verify(central, "135790", WANG), 409, "pin_not_set")  # nothing was set
    clock.advance(31)
    assert set_pin(central, WANG, WANG[-6:]).status_code == 200
    assert verify(central, "135790", WANG).status_code == 200


def test_a_right_id_clears_the_count(central: Central) -> None:
    error_of(set_pin(central, WANG, "000000"), 422, "identity_mismatch")
    error_of(set_pin(central, WANG, "000000"), 422, "identity_mismatch")
    weak = set_pin(central, WANG, WANG[-6:], pin="111111")  # the ID was right
    error_of(weak, 422, "pin_weak")
    assert error_of(set_pin(central, WANG, "000000"), 422, "identity_mismatch") == {
        "tries_left": 2}


def test_an_unknown_card_is_answered_like_a_wrong_id_even_when_locked(
        start_central: Any) -> None:
    central = start_central(clock=Clock())
    answers = []
    for _ in range(4):  # wrong, wrong, the one that locks, locked
        known, unknown = set_pin(central, WANG, "000000"), set_pin(central, UNKNOWN, "000000")
        assert same_answer(known, unknown), (known.text, unknown.text)
        answers.append(known.json()["code"])
    assert answers == ["identity_mismatch"] * 2 + ["identity_locked"] * 2


def test_locked_ids_leave_the_payment_password_alone(central: Central) -> None:
    for _ in range(3):
        set_pin(central, ZHANG, "000000")
    error_of(set_pin(central, ZHANG, ZHANG[-6:]), 423, "identity_locked")
    assert verify(central, DEMO_PIN).status_code == 200


@pytest.mark.parametrize("name", ["pin_max_tries", "pin_lock_s"])
def test_a_lock_rule_that_could_never_lock_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings(**{name: 0})


@pytest.mark.parametrize(("pin", "weak"), [
    ("111111", True), ("123456", True), ("654321", True), ("890123", True), ("12345", True),
    ("147258", False), ("112233", False), ("209318", False)])
def test_weak_payment_passwords(pin: str, weak: bool) -> None:
    assert is_weak(pin) is weak
