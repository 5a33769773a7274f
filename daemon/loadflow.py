"""One load (圈存) driven from whatever state the journal holds to the next
state it can reach: the kiosk relays, the central side computes the MACs.

::

    new ──central create──▶ created ──INITIALIZE FOR LOAD──▶ init
    init ──central MAC2──▶ mac2 ──(journal) credit_sent ──CREDIT FOR LOAD──▶ credited
    credited ──central confirm (TAC, or the card-log record)──▶ completed

``credit_sent`` is the one uncertain state: the card may or may not have
applied the CREDIT whose answer was lost. It is settled only from the card's
own log (CARD_PROTOCOL.md, card tear): the record is there → ``credited``
with the record as evidence; it is not → back to ``created`` for a new
INITIALIZE (the central side issues a new MAC2 while the card's online
counter has not moved; the same MAC2 is never sent twice).

Steps that need the card run only with the order's card in the field; the
caller decides what a missing card means (wait for a tap, or hold the order
as ``pending`` at the central side with a voucher).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from daemon.central import CentralClient, CentralMalformed, CentralUnavailable
from daemon.orders import Order, OrderStore
from hardware.card.epurse import EPurse
from hardware.card.errors import CardRemoved, MacInvalid

__all__ = ["CardAccess", "LoadFlow", "NeedsCard"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class CardAccess(Protocol):
    """The reader as the flows need it (hardware.card.nfc_reader.CardReader)."""

    card_no: str | None
    taps: int

    def submit(self, operation: Callable[[EPurse], T], timeout: float = 10.0) -> T: ...


class NeedsCard(Exception):
    """The next step needs the order's card in the field."""


class LoadFlow:
    """Moves load orders forward; every move journaled before the next action."""

    def __init__(self, store: OrderStore, central: CentralClient, card: CardAccess, *,
                 terminal_id: str) -> None:
        self._store = store
        self._central = central
        self._card = card
        self._terminal = terminal_id

    def _terminal_of(self, order: Order) -> bytes:
        return bytes.fromhex(str(order.facts.get("terminal_id", self._terminal)))

    def card_here(self, order: Order) -> bool:
        return self._card.card_no == order.card_no

    def drive(self, order: Order) -> Order:
        """Run as far as possible. Returns the order in its new state; raises
        NeedsCard when the card must be tapped, CentralUnavailable when the link
        is down, CentralRejected when the central side refused, CardError when
        the card refused (the order stays where the journal says)."""
        for _ in range(12):  # each pass moves at least one state, or leaves
            step = {"new": self._create, "created": self._initialize, "init": self._mac2,
                    "mac2": self._credit, "credit_sent": self._settle_tear,
                    "credited": self._confirm}.get(order.state)
            if step is None:
                return order
            try:
                order = step(order)
            except CardRemoved:
                raise NeedsCard(order.card_no) from None
        raise RuntimeError(f"load {order.id} did not settle")  # pragma: no cover

    # -- steps -------------------------------------------------------------------------
    def _create(self, order: Order) -> Order:
        body = {"card_no": order.card_no, "amount_fen": order.amount_fen,
                "terminal_id": self._terminal}
        if "balance_fen" in order.facts:
            body["balance_fen"] = order.facts["balance_fen"]
        reply = self._central.request("POST", "/v1/load-orders", body,
                                      idempotency_key=order.key("create"))
        central_ref = _field(reply, "order_id", str)
        return self._store.advance(order, "created", central_ref=central_ref,
                                   terminal_id=_field(reply, "terminal_id", str))

    def _need_card(self, order: Order) -> None:
        if not self.card_here(order):
            raise NeedsCard(order.card_no)

    def _initialize(self, order: Order) -> Order:
        self._need_card(order)
        terminal = self._terminal_of(order)
        init = self._card.submit(lambda purse: purse.init_load(order.amount_fen, terminal))
        return self._store.advance(order, "init", init=init.raw.hex().upper(),
                                   balance_before_fen=init.balance_fen, tap=self._card.taps)

    def _same_tap(self, order: Order) -> bool:
        """A CREDIT must follow its INITIALIZE in the same card session."""
        return order.facts.get("tap") == self._card.taps and self.card_here(order)

    def _mac2(self, order: Order) -> Order:
        if not self._same_tap(order):
            return self._store.advance(order, "created", restart="new card session")
        init = str(order.facts["init"])
        # One key per INITIALIZE: a retry of this request gets the same MAC2, a
        # new INITIALIZE (new card random) asks for a new one.
        reply = self._central.request("POST", f"/v1/load-orders/{order.central_ref}/mac2",
                                      {"init_response": init},
                                      idempotency_key=order.key(f"mac2-{init[16:24]}"))
        return self._store.advance(order, "mac2", mac2=_hex(reply, "mac2", 4),
                                   host_date=_hex(reply, "host_date", 4),
                                   host_time=_hex(reply, "host_time", 3))

    def _credit(self, order: Order) -> Order:
        if not self._same_tap(order):
            self._need_card(order)
            return self._store.advance(order, "created", restart="new card session")
        order = self._store.advance(order, "credit_sent")  # journal before acting
        day, clock = _host_time(order)
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

    def _settle_tear(self, order: Order) -> Order:
        """After a lost CREDIT answer: the card's log decides."""
        self._need_card(order)
        day, clock = _host_time(order)
        terminal = self._terminal_of(order)

        def find(purse: EPurse) -> str | None:
            for record in purse.records():
                if (record.type, record.amount_fen, record.terminal_id, record.date,
                        record.time) == (0x02, order.amount_fen, terminal, day, clock):
                    return record.to_bytes().hex().upper()
            return None

        record = self._card.submit(find)
        if record is not None:
            logger.info("load %s: the card's log shows the credit", order.id)
            return self._store.advance(order, "credited", card_record=record)
        logger.info("load %s: the card's log has no credit; starting again", order.id)
        return self._store.advance(order, "created", torn_without_credit=True)

    def _confirm(self, order: Order) -> Order:
        evidence: dict[str, Any] = ({"tac": order.facts["tac"]} if "tac" in order.facts
                                    else {"card_record": order.facts["card_record"]})
        reply = self._central.request("POST", f"/v1/load-orders/{order.central_ref}/confirm",
                                      evidence, idempotency_key=order.key("confirm"))
        if _field(reply, "status", str) != "completed":
            raise CentralUnavailable(f"confirm answered status {reply.get('status')!r}")
        return self._store.advance(order, "completed",
                                   balance_after_fen=_field(reply, "balance_after_fen", int))

    def hold(self, order: Order, reason: str) -> Order:
        """The card is gone: the order waits at the central side for its next tap."""
        if order.state in ("credited", "completed") or order.final:
            return order  # value already on the card: confirm, never hold
        return self._store.advance(order, "pending", reason=reason)


def _host_time(order: Order) -> tuple[bytes, bytes]:
    return bytes.fromhex(order.facts["host_date"]), bytes.fromhex(order.facts["host_time"])


def _field(reply: Any, name: str, kind: type) -> Any:
    value = reply.get(name) if isinstance(reply, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CentralMalformed(f"reply lacks a valid {name!r}")
    return value


def _hex(reply: Any, name: str, size: int) -> str:
    value = _field(reply, name, str)
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise CentralMalformed(f"{name!r} is not hex") from None
    if len(raw) != size:
        raise CentralMalformed(f"{name!r} is {len(raw)} bytes, not {size}")
    return raw.hex().upper()

