"""One bill payment from the card's e-purse, driven from the journal's state.

::

    new ──central create (payment password as a PIN block)──▶ created
    created ──INITIALIZE FOR PURCHASE──▶ init ──central MAC1──▶ mac1
    mac1 ──(journal) debit_sent ──DEBIT FOR PURCHASE──▶ debited (TAC, MAC2)
    debited ──central confirm──▶ completed

``debit_sent`` is settled from the card's log, as for loads: the record is
there → ``debited`` with the record as evidence; it is not → ``created``.
An order whose card has gone is cancelled at the central side
(:meth:`PurchaseFlow.give_up`) once its log shows no debit: a payment never
waits for a next tap, the cardholder simply pays again.

The PIN block is held in memory for the create request only; it is never
journaled, so an order that dies before ``created`` is cancelled on restart.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from daemon.central import CentralClient, reply_as
from daemon.flow import CardAccess, Flow, NeedsCard, host_time
from daemon.orders import Order, OrderStore
from hardware.card.epurse import EPurse
from hardware.card.errors import MacInvalid
from protocol.central import (
    InitForPurchase,
    Mac1Issued,
    OrderCreated,
    PurchaseConfirm,
    PurchaseOrderCreate,
)
from protocol.pboc.secure import PURCHASE_TYPE, InitPurchase

__all__ = ["CardAccess", "NeedsCard", "PurchaseFlow"]

logger = logging.getLogger(__name__)


class PurchaseFlow(Flow):
    """Moves purchase (bill payment) orders forward."""

    STEPS: ClassVar[dict[str, str]] = {
        "new": "_create", "created": "_initialize", "init": "_mac1", "mac1": "_debit",
        "debit_sent": "_settle_tear", "debited": "_confirm"}
    KIND = "purchase"
    ORDERS = "/v1/purchase-orders"
    TX_TYPE = PURCHASE_TYPE
    APPLIED = "debited"
    EVIDENCE = ("tac", "mac2")
    CONFIRM = PurchaseConfirm

    def __init__(self, store: OrderStore, central: CentralClient, card: CardAccess, *,
                 terminal_id: str) -> None:
        super().__init__(store, central, card, terminal_id=terminal_id)
        self._pin_blocks: dict[str, str] = {}

    def with_pin_block(self, order: Order, pin_block: str | None) -> None:
        """The payment password's PIN block for ``order``'s create request (memory only)."""
        if pin_block:
            self._pin_blocks[order.id] = pin_block

    def _create(self, order: Order) -> Order:
        body = PurchaseOrderCreate(card_no=order.card_no, bill_id=str(order.facts["bill_id"]),
                                   amount_fen=order.amount_fen, terminal_id=self._terminal,
                                   pin_block=self._pin_blocks.pop(order.id, None) or None)
        created = reply_as(OrderCreated, self._central.request(
            "POST", self.ORDERS, body, idempotency_key=order.key("create")))
        return self._store.advance(order, "created", central_ref=created.order_id,
                                   terminal_id=created.terminal_id.upper())

    def _init_on_card(self, purse: EPurse, amount_fen: int, terminal: bytes) -> InitPurchase:
        return purse.init_purchase(amount_fen, terminal)

    def _mac1(self, order: Order) -> Order:
        restarted = self._restart_unless_same_tap(order)
        if restarted is not None:
            return restarted
        init = str(order.facts["init"])
        reply = reply_as(Mac1Issued, self._post(order, "mac1", InitForPurchase(init_response=init),
                                                key=f"mac1-{init[22:30]}"))
        return self._store.advance(order, "mac1", mac1=reply.mac1.upper(),
                                   host_date=reply.host_date, host_time=reply.host_time,
                                   terminal_seq=reply.terminal_seq)

    def _debit(self, order: Order) -> Order:
        self._need_card(order)
        restarted = self._restart_unless_same_tap(order)
        if restarted is not None:
            return restarted
        order = self._store.advance(order, "debit_sent")  # journal before acting
        day, clock = host_time(order)
        mac1 = bytes.fromhex(order.facts["mac1"])
        seq = int(order.facts["terminal_seq"])
        try:
            tac, mac2 = self._card.submit(lambda purse: purse.debit_purchase(seq, day, clock, mac1))
        except MacInvalid:
            logger.warning("purchase %s: the card refused MAC1; nothing was debited", order.id)
            return self._store.advance(order, "created", mac1_refused=order.facts["mac1"])
        return self._store.advance(order, "debited", tac=tac.hex().upper(),
                                   mac2=mac2.hex().upper())

    def settle(self, order: Order) -> Order:
        """At the card's next tap after a lost DEBIT answer: confirm the payment if
        the card's log has it, cancel it if not. Never pays again unasked."""
        if order.state == "debit_sent":
            order = self._settle_tear(order)
        if order.state == "debited":
            return self.drive(order)
        return self.give_up(order, "no debit on the card")

    def give_up(self, order: Order, reason: str) -> Order:
        """Cancel an order that moved no value (the card's log said so, or it never
        reached DEBIT). An order in ``debit_sent`` needs its card's log first."""
        if order.final or order.state in ("debited", "debit_sent"):
            return order
        if order.central_ref is not None:
            self._post(order, "cancel", None, key="cancel")
        return self._store.advance(order, "cancelled", reason=reason)
