"""The receipt a finished session prints: a top-up (or a pending load finished),
a balance transfer from a lost card, or a bill payment, built from the session
and its journaled order.

Vouchers — the slip when the cash is not on the card — are
:mod:`daemon.vouchers`' job, since recovery prints them too.
"""

from __future__ import annotations

from datetime import datetime

from daemon.loadflow import is_transfer
from daemon.orders import Order
from daemon.sessions.steps import Session
from hardware.printer.receipts import BalanceTransfer, BillPayment, OverdraftRepayment, TopUp
from protocol.cardno import printed_card_no

__all__ = ["receipt_facts"]


def _aid(order: Order, fact: str) -> str | None:
    aid = order.facts.get(fact)
    return aid if isinstance(aid, str) else None


def receipt_facts(session: Session, order: Order, notes: tuple[tuple[int, int], ...],
                  when: datetime, *, repayment: Order | None = None
                  ) -> tuple[str, TopUp | BillPayment | BalanceTransfer | OverdraftRepayment]:
    """The receipt kind and its facts for a completed ``order`` of ``session``
    (``notes``: the session's journaled notes, value and count). Card numbers are
    as printed on the cards (the orders' AIDs say how)."""
    balance_after = int(order.facts["balance_after_fen"])
    if repayment is not None and repayment.state == "completed":
        loaded = 0 if order.id == repayment.id else order.amount_fen
        cash = repayment.amount_fen + loaded
        return "repayment", OverdraftRepayment(
            order.id, when, order.printed_no, cash, repayment.amount_fen,
            int(repayment.facts.get("owed_fen", repayment.amount_fen)),
            int(repayment.facts.get("owed_after_fen", 0)), loaded,
            int(order.facts.get("balance_before_fen", session.balance_fen)), balance_after,
            notes=notes if sum(v * n for v, n in notes) == cash else (),
            tac=order.facts.get("tac") if loaded else None)
    if is_transfer(order):
        return "transfer", BalanceTransfer(
            order.id, when, order.printed_no,
            printed_card_no(str(order.facts.get("old_card_no", "")), _aid(order, "old_aid")),
            order.amount_fen,
            int(order.facts.get("balance_before_fen", session.balance_fen)), balance_after,
            left_fen=int(order.facts.get("transferable_left_fen", 0)), tac=order.facts.get("tac"))
    if order.kind == "load":
        return "topup", TopUp(
            order.id, when, order.printed_no, order.amount_fen,
            int(order.facts.get("balance_before_fen", session.balance_fen)), balance_after,
            # Cash over the limits is on the refund voucher instead: the notes are
            # listed only when they are all on this card.
            notes=notes if sum(v * n for v, n in notes) == order.amount_fen else (),
            tac=order.facts.get("tac"))
    bill = session.bill or {}
    return "bill_payment", BillPayment(
        order.id, when, order.printed_no, str(bill.get("utility", "")), str(bill.get("payee", "")),
        str(bill.get("account_no", "")), str(bill.get("holder_name_masked", "")),
        str(bill.get("period", "")), order.amount_fen, balance_after,
        payee_zh=str(bill.get("payee_zh", "")))
