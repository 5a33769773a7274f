"""One load (圈存) driven from whatever state the journal holds to the next
state it can reach: the kiosk relays, the central side computes the MACs.

::

    new ──central create──▶ created ──INITIALIZE FOR LOAD──▶ init
    init ──central MAC2──▶ mac2 ──(journal) credit_sent ──CREDIT FOR LOAD──▶ credited
    credited ──central confirm (TAC, or the card-log record)──▶ completed

The card is in the field from INITIALIZE to CREDIT's answer, so that window
holds only what the invariants need: ``init`` and ``mac2`` are *staged*
(:meth:`~daemon.orders.OrderStore.stage`) and journaled in one transaction
with ``credit_sent``, before CREDIT is sent — the MAC2 is durable before the
card gets it. A crash before that write leaves the order ``created``, which is
safe: no CREDIT was sent, and the next INITIALIZE gets a new MAC2 (the central
side issues one while the card's online counter has not moved). When the
card is gone or another tap began by the time the MAC2 arrives, the staged
steps are journaled at once (``mac2``: nothing sent to the card).

``credit_sent`` is the one uncertain state: the card may or may not have
applied the CREDIT whose answer was lost. It is settled only from the card's
own log (CARD_PROTOCOL.md, card tear): the record is there → ``credited``
with the record as evidence; it is not → back to ``created`` for a new
INITIALIZE (the central side issues a new MAC2 while the card's online
counter has not moved; the same MAC2 is never sent twice).

A repayment (``repayment``: cash that pays a blacklisted card's overdraft) is one
central request and moves nothing on the card: ``new`` → ``completed``.

A balance transfer (``source`` transfer) is created at the card's transfer
resource instead of the load orders; from ``created`` on it is a load like any.

Steps that need the card run only with the order's card in the field; the
caller decides what a missing card means (wait for a tap, or hold the order
as ``pending`` at the central side with a voucher).
"""

from __future__ import annotations

import logging
from typing import ClassVar

from daemon.central import CentralRejected, central_path, reply_as
from daemon.flow import CardAccess, Flow, NeedsCard, host_time
from daemon.orders import Order
from hardware.card.epurse import EPurse
from hardware.card.errors import CardRemoved, MacInvalid
from protocol.central import (
    InitForLoad,
    LoadOrderCreate,
    Mac2Issued,
    OrderCreated,
    Repayment,
    RepaymentCreate,
    TransferCreate,
    TransferCreated,
)
from protocol.pboc.secure import LOAD_TYPE, InitLoad

__all__ = ["CardAccess", "LoadFlow", "NeedsCard", "is_transfer"]

logger = logging.getLogger(__name__)


def is_transfer(order: Order) -> bool:
    """A balance transfer from a lost card to its replacement: a load with no cash."""
    return order.facts.get("source") == "transfer"


class LoadFlow(Flow):
    """Moves load orders forward."""

    STEPS: ClassVar[dict[str, str]] = {
        "new": "_create", "created": "_initialize", "init": "_mac2", "mac2": "_credit",
        "credit_sent": "_settle_tear", "credited": "_confirm"}
    KIND = "load"
    ORDERS = "/v1/load-orders"
    TX_TYPE = LOAD_TYPE
    APPLIED = "credited"
    EVIDENCE = ("tac",)

    # -- steps -------------------------------------------------------------------------
    def _initialize(self, order: Order) -> Order:
        self._need_card(order)
        terminal = self._terminal_of(order)
        init = self._card.submit(
            lambda purse: self._init_on_card(purse, order.amount_fen, terminal))
        # Staged, not journaled: see the module docstring (the load window).
        return self._store.stage(order, "init", init=init.raw.hex().upper(),
                                 balance_before_fen=init.balance_fen, tap=self._card.taps)

    def _create(self, order: Order) -> Order:
        if order.facts.get("repayment"):
            return self._repay(order)
        path = self.ORDERS
        body: LoadOrderCreate | TransferCreate = LoadOrderCreate(
            card_no=order.card_no, amount_fen=order.amount_fen, terminal_id=self._terminal,
            balance_fen=order.facts.get("balance_fen"))
        if is_transfer(order):
            # The old card's balance, taken from what is transferable at the centre under
            # this order's key: a retry after a lost answer gets the same order.
            path = central_path("/v1/cards/{card_no}/transfer", card_no=order.card_no)
            body = TransferCreate(amount_fen=order.amount_fen, terminal_id=self._terminal,
                                  balance_fen=order.facts.get("balance_fen"))
        try:
            reply = self._central.request("POST", path, body,
                                          idempotency_key=order.key("create"))
        except CentralRejected as exc:
            # The centre will not take this load at all (the card was reported lost
            # meanwhile, a limit): final here, and a top-up's cash is owed to the cardholder.
            self._store.advance(order, "refused", code=exc.code, message=exc.message,
                                message_zh=exc.message_zh)
            raise
        if is_transfer(order):
            made = reply_as(TransferCreated, reply)
            return self._store.advance(order, "created", central_ref=made.order_id,
                                       terminal_id=made.terminal_id.upper(),
                                       transferable_left_fen=made.transferable_left_fen)
        created = reply_as(OrderCreated, reply)
        return self._store.advance(order, "created", central_ref=created.order_id,
                                   terminal_id=created.terminal_id.upper())

    def _repay(self, order: Order) -> Order:
        """Cash that repays a blacklisted card's overdraft: one central request, nothing on
        the card (its balance stays); the centre lifts the entry when nothing is owed."""
        path = central_path("/v1/cards/{card_no}/repayments", card_no=order.card_no)
        try:
            reply = self._central.request(
                "POST", path, RepaymentCreate(amount_fen=order.amount_fen,
                                              terminal_id=self._terminal),
                idempotency_key=order.key("create"))
        except CentralRejected as exc:
            self._store.advance(order, "refused", code=exc.code, message=exc.message,
                                message_zh=exc.message_zh)
            raise
        repaid = reply_as(Repayment, reply)
        return self._store.advance(order, "completed", central_ref=repaid.repayment_id,
                                   owed_after_fen=repaid.owed_fen, lifted=repaid.lifted,
                                   balance_after_fen=int(order.facts.get("balance_fen", 0)))

    def _init_on_card(self, purse: EPurse, amount_fen: int, terminal: bytes) -> InitLoad:
        return purse.init_load(amount_fen, terminal)

    def _mac2(self, order: Order) -> Order:
        restarted = self._restart_unless_same_tap(order)
        if restarted is not None:
            return restarted
        init = str(order.facts["init"])
        # One key per INITIALIZE: a retry of this request gets the same MAC2, a
        # new INITIALIZE (new card random) asks for a new one.
        reply = reply_as(Mac2Issued, self._post(order, "mac2", InitForLoad(init_response=init),
                                                key=f"mac2-{init[16:24]}"))
        return self._store.stage(order, "mac2", mac2=reply.mac2.upper(),
                                 host_date=reply.host_date, host_time=reply.host_time)

    def _credit(self, order: Order) -> Order:
        if not self._same_tap(order):
            order = self._store.flush(order)  # the MAC2 kept; nothing sent to the card
        self._need_card(order)
        restarted = self._restart_unless_same_tap(order)
        if restarted is not None:
            return restarted
        # One durable write: the staged INITIALIZE answer and MAC2, and "CREDIT may
        # have been sent" — journal before acting.
        order = self._store.advance(order, "credit_sent")
        day, clock = host_time(order)
        mac2 = bytes.fromhex(order.facts["mac2"])
        try:
            tac = self._card.submit(lambda purse: purse.credit_load(day, clock, mac2))
        except MacInvalid:
            # The card refused this MAC2: nothing was credited. Never resend it.
            logger.warning("load %s: the card refused MAC2; a new INITIALIZE follows", order.id)
            return self._store.advance(order, "created", mac2_refused=order.facts["mac2"])
        except CardRemoved:
            raise NeedsCard(order.card_no) from None  # torn: settled from the card's log
        return self._store.advance(order, "credited", tac=tac.hex().upper())

    def hold(self, order: Order, reason: str) -> Order:
        """The card is gone: the order waits at the central side for its next tap."""
        if order.state in ("credited", "completed") or order.final:
            return order  # value already on the card: confirm, never hold
        return self._store.advance(order, "pending", reason=reason)
