"""What every money flow shares: drive an order through its step table, one
journaled move at a time, with the card in the field only where a step needs it.

Subclasses (:class:`daemon.loadflow.LoadFlow`, :class:`daemon.purchaseflow.PurchaseFlow`)
name their steps in ``STEPS`` (state → method returning the next journaled order).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar, Protocol, TypeVar

from daemon.central import CentralClient, CentralMalformed
from daemon.orders import Order, OrderStore
from hardware.card.epurse import EPurse
from hardware.card.errors import CardRemoved

__all__ = ["CardAccess", "Flow", "NeedsCard", "field", "hex_field", "host_time"]

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


def field(reply: Any, name: str, kind: type) -> Any:
    """``reply[name]`` of type ``kind``, or CentralMalformed."""
    value = reply.get(name) if isinstance(reply, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CentralMalformed(f"reply lacks a valid {name!r}")
    return value


def hex_field(reply: Any, name: str, size: int) -> str:
    """``reply[name]`` as ``size`` bytes of upper-case hex, or CentralMalformed."""
    value = field(reply, name, str)
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise CentralMalformed(f"{name!r} is not hex") from None
    if len(raw) != size:
        raise CentralMalformed(f"{name!r} is {len(raw)} bytes, not {size}")
    return raw.hex().upper()
