"""The crash loop's invariants (bench/ledger.py) on hand-made readings: each one
holds on a consistent history and fails, naming itself, on the money going
wrong in the way it guards against."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench.ledger import INVARIANTS, CardSide, Reading, check

CARD = "03104440300000100017"


def _audit(credited: int = 0, pending: int = 0, owed: int = 0) -> dict[str, Any]:
    return {"holds": True, "sessions": [], "totals": {
        "cash_in_fen": credited + pending + owed, "credited_fen": credited,
        "pending_fen": pending, "owed_fen": owed}}


def _base() -> Reading:
    return Reading(cards={CARD: CardSide(8650, 3, 5)}, cash_fen=0, unattributed_fen=0,
                   loads=[], central=[], central_balance={CARD: 8650}, orders=[],
                   audit=_audit())


def _after() -> Reading:
    """A ¥50 top-up loaded, a ¥30 bill paid, a ¥20 top-up pending at central."""
    now = _base()
    now.cards[CARD] = CardSide(8650 + 5000 - 3000, 4, 6)
    now.cash_fen = 7000
    now.loads = [
        {"id": "L1", "state": "completed", "amount_fen": 5000, "central_ref": "C1",
         "card_no": CARD, "session_kind": "topup"},
        {"id": "L2", "state": "pending", "amount_fen": 2000, "central_ref": "C2",
         "card_no": CARD, "session_kind": "topup"}]
    now.central = [
        {"order_id": "C1", "kind": "load", "card_no": CARD, "amount_fen": 5000,
         "status": "completed"},
        {"order_id": "C2", "kind": "load", "card_no": CARD, "amount_fen": 2000,
         "status": "created"},
        {"order_id": "P1", "kind": "purchase", "card_no": CARD, "amount_fen": 3000,
         "status": "completed"}]
    now.central_balance = {CARD: 8650 + 5000 - 3000}
    now.orders = [{"id": "L1", "kind": "load", "state": "completed", "card_no": CARD},
                  {"id": "L2", "kind": "load", "state": "pending", "card_no": CARD},
                  {"id": "B1", "kind": "purchase", "state": "completed", "card_no": CARD}]
    now.audit = _audit(credited=5000, pending=2000)
    return now


def _names(now: Reading, *, sent: int = 7000, acked: int = 7000) -> set[str]:
    return {f.invariant for f in check(_base(), now, sent_fen=sent, acked_fen=acked,
                                       tapped=CARD)}


def test_a_consistent_history_holds_every_invariant() -> None:
    assert _names(_after()) == set()


def _double_credit(now: Reading) -> None:
    # The ¥50 load credited twice more: more credits than loads, even counting the
    # pending one as possibly on the card already.
    now.cards[CARD].online_counter += 2
    now.cards[CARD].balance_fen += 2 * 5000


def _lost_note(now: Reading) -> None:
    now.cash_fen += 1000  # a note in the journal that no load carries


def _unknown_cash(now: Reading) -> None:
    now.unattributed_fen += 500


def _audit_misses_a_completion(now: Reading) -> None:
    now.audit = _audit(credited=3000, pending=4000)  # a finished pending load still pending


def _audit_fails(now: Reading) -> None:
    now.audit_exit = 1
    now.audit["holds"] = False


def _central_behind(now: Reading) -> None:
    now.central[1]["status"] = "completed"  # C2 loaded: nothing open for the card now
    now.loads[1]["state"] = "completed"
    now.audit = _audit(credited=7000)
    now.cards[CARD] = CardSide(8650 + 7000 - 3000, 5, 6)
    now.central_balance[CARD] = 8650 + 5000 - 3000  # central never booked C2


def _debit_twice(now: Reading) -> None:
    now.cards[CARD].offline_counter += 1
    now.cards[CARD].balance_fen -= 3000


def _answer_never_settled(now: Reading) -> None:
    now.orders[2]["state"] = "debit_sent"


@pytest.mark.parametrize(("breakage", "invariant"), [
    (_double_credit, "online_counter_once_per_load"),
    (_double_credit, "card_balance"),
    (_lost_note, "cash_accounted"),
    (_unknown_cash, "cash_matches_inserted"),
    (_audit_misses_a_completion, "audit_agrees_with_central"),
    (_audit_fails, "audit_holds"),
    (_central_behind, "central_balance_is_the_cards"),
    (_debit_twice, "offline_counter_once_per_payment"),
    (_answer_never_settled, "orders_settled"),
])
def test_each_invariant_fails_on_its_breakage(breakage: Any, invariant: str) -> None:
    assert invariant in INVARIANTS
    now = copy.deepcopy(_after())
    breakage(now)
    assert invariant in _names(now)


def test_cash_the_kiosk_acknowledged_must_be_in_the_journal() -> None:
    assert "cash_matches_inserted" in _names(_after(), sent=9000, acked=8000)
    assert _names(_after(), sent=9000, acked=7000) == set()  # ¥20 cut mid-train: allowed
