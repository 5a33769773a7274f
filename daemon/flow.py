"""What every money flow shares: drive an order through its step table, one
journaled move at a time, with the card in the field only where a step needs it.

Subclasses (:class:`daemon.loadflow.LoadFlow`, :class:`daemon.purchaseflow.PurchaseFlow`)
name their steps in ``STEPS`` (state → method returning the next journaled order)
and what differs between a load and a purchase: the central collection, the
card-log transaction type, the state once the card holds the value, the
evidence a confirm carries and the INITIALIZE command. Settling a lost answer
from the card's log and confirming at the central side are the same for both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar, Protocol, TypeVar

from daemon.central import (
    CentralClient,
    CentralMalformed,
    CentralUnavailable,
    central_path,
    reply_as,
)
from daemon.orders import Order, OrderStore
from hardware.card.epurse import EPurse
from hardware.card.errors import CardRemoved
from protocol.central import CentralRequest, LoadConfirm, OrderConfirmed
from protocol.pboc.secure import InitLoad, InitPurchase

__all__ = ["CardAccess", "Flow", "NeedsCard", "host_time"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class CardAccess(Protocol):
    """The reader as the flows need it (hardware.card.nfc_reader.CardReader)."""

    card_no: str | None
    taps: int

    def submit(self, operation: Callable[[EPurse], T], timeout: float = 10.0) -> T: ...


class NeedsCard(Exception):
    """The next step needs the order's card in the field."""


class Flow:
    """Moves orders of one kind forward; every move journaled before the next action."""

    STEPS: ClassVar[dict[str, str]] = {}
    KIND: ClassVar[str] = ""  # "load" | "purchase", for the logs
    ORDERS: ClassVar[str] = ""  # the central collection, e.g. "/v1/load-orders"
    TX_TYPE: ClassVar[int] = 0  # the card-log transaction type
    APPLIED: ClassVar[str] = ""  # the state once the card holds the value
    EVIDENCE: ClassVar[tuple[str, ...]] = ("tac",)  # facts a confirm sends
    CONFIRM: ClassVar[type[LoadConfirm]] = LoadConfirm  # the confirm's body

    def __init__(self, store: OrderStore, central: CentralClient, card: CardAccess, *,
                 terminal_id: str) -> None:
        self._store = store
        self._central = central
        self._card = card
        self._terminal = terminal_id

    def drive(self, order: Order) -> Order:
        """Run as far as possible. Returns the order in its new state; raises
        NeedsCard when the card must be tapped, CentralUnavailable when the link
        is down, CentralRejected when the central side refused, CardError when
        the card refused (the order stays where the journal says)."""
        for _ in range(16):  # each pass moves at least one state, or leaves
            name = self.STEPS.get(order.state)
            if name is None:
                return order
            try:
                order = getattr(self, name)(order)
            except CardRemoved:
                raise NeedsCard(order.card_no) from None
        raise RuntimeError(f"order {order.id} did not settle")  # pragma: no cover

    # -- steps both kinds share ---------------------------------------------------------
    def _initialize(self, order: Order) -> Order:
        self._need_card(order)
        terminal = self._terminal_of(order)
        init = self._card.submit(
            lambda purse: self._init_on_card(purse, order.amount_fen, terminal))
        return self._store.advance(order, "init", init=init.raw.hex().upper(),
                                   balance_before_fen=init.balance_fen, tap=self._card.taps)

    def _init_on_card(self, purse: EPurse, amount_fen: int,
                      terminal: bytes) -> InitLoad | InitPurchase:
        raise NotImplementedError

    def _settle_tear(self, order: Order) -> Order:
        """After a lost answer to the value-moving command: the card's log decides."""
        self._need_card(order)
        record = self._find_record(order, self.TX_TYPE)
        if record is not None:
            logger.info("%s %s: the card's log shows it applied", self.KIND, order.id)
            return self._store.advance(order, self.APPLIED, card_record=record)
        logger.info("%s %s: the card's log does not show it; starting again",
                    self.KIND, order.id)
        return self._store.advance(order, "created", torn_without_value=True)

    def _confirm(self, order: Order) -> Order:
        evidence = (self.CONFIRM(**{name: order.facts[name] for name in self.EVIDENCE})
                    if "tac" in order.facts
                    else self.CONFIRM(card_record=order.facts["card_record"]))
        reply = reply_as(OrderConfirmed, self._post(order, "confirm", evidence, key="confirm"))
        if reply.status != "completed":
            raise CentralUnavailable(f"confirm answered status {reply.status!r}")
        if reply.balance_after_fen is None:
            raise CentralMalformed("a completed order without balance_after_fen")
        return self._store.advance(order, "completed", balance_after_fen=reply.balance_after_fen)

    def _restart_unless_same_tap(self, order: Order) -> Order | None:
        """A second-phase step after a new card session goes back to ``created``
        for a new INITIALIZE; None when it may go on."""
        if self._same_tap(order):
            return None
        return self._store.advance(order, "created", restart="new card session")

    # -- helpers -----------------------------------------------------------------------
    def _post(self, order: Order, action: str, body: CentralRequest | None, *,
              key: str) -> Any:
        """POST ``body`` to this order's ``action`` at the central side."""
        path = central_path(self.ORDERS + "/{ref}/{action}", ref=str(order.central_ref),
                            action=action)
        return self._central.request("POST", path, body if body is not None else {},
                                     idempotency_key=order.key(key))

    def card_here(self, order: Order) -> bool:
        return self._card.card_no == order.card_no

    def _need_card(self, order: Order) -> None:
        if not self.card_here(order):
            raise NeedsCard(order.card_no)

    def _same_tap(self, order: Order) -> bool:
        """A second-phase command must follow its INITIALIZE in the same card session."""
        return order.facts.get("tap") == self._card.taps and self.card_here(order)

    def _terminal_of(self, order: Order) -> bytes:
        return bytes.fromhex(str(order.facts.get("terminal_id", self._terminal)))

    def _find_record(self, order: Order, tx_type: int) -> str | None:
        """The card-log record of this order's transaction, as hex, if the card has it."""
        day, clock = host_time(order)
        terminal = self._terminal_of(order)

        def find(purse: EPurse) -> str | None:
            for record in purse.records():
                if (record.type, record.amount_fen, record.terminal_id, record.date,
                        record.time) == (tx_type, order.amount_fen, terminal, day, clock):
                    return record.to_bytes().hex().upper()
            return None

        return self._card.submit(find)


def host_time(order: Order) -> tuple[bytes, bytes]:
    return bytes.fromhex(order.facts["host_date"]), bytes.fromhex(order.facts["host_time"])
