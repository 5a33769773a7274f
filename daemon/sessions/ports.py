"""What the sessions need from the parts around them, and nothing more.

kioskd passes the real parts (named on each protocol); the unit tests pass
small fakes that implement these, so a session's steps are tested without
a bill acceptor, a card reader or a card centre.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from daemon.orders import Order
from protocol.wire import Model

__all__ = ["Acceptor", "CardOnReader", "CentralApi", "Loads", "Purchases", "Worker"]


class Acceptor(Protocol):
    """The cash acceptor's inhibit context (hardware.cash.CashAcceptor)."""

    @property
    def smallest_fen(self) -> int:
        """The smallest piece it takes: below this headroom it must stay inhibited."""

    def update(self, *, session_accepting: bool | None = None,
               headroom_fen: int | None = None) -> object: ...

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Until the train being decoded (if any) has reached the cash journal."""


class CardOnReader(Protocol):
    """The card as the tap read it (hardware.card.CardInfo)."""

    @property
    def card_no(self) -> str: ...

    @property
    def balance_fen(self) -> int: ...


class CentralApi(Protocol):
    """The signed client of the card centre (daemon.central.CentralClient)."""

    def request(self, method: str, path: str, body: dict[str, Any] | Model | None = None, *,
                idempotency_key: str | None = None) -> Any:
        """The decoded JSON of a 2xx answer; daemon.central's errors otherwise."""


class Loads(Protocol):
    """Load orders driven step by step (daemon.loadflow.LoadFlow)."""

    def drive(self, order: Order) -> Order:
        """As far as it goes; NeedsCard, CentralError or CardError where it stops."""

    def hold(self, order: Order, reason: str) -> Order:
        """The card is gone: the order waits at the central side (``pending``)."""

    def card_here(self, order: Order) -> bool: ...


class Purchases(Protocol):
    """Purchase orders driven step by step (daemon.purchaseflow.PurchaseFlow)."""

    def drive(self, order: Order) -> Order: ...

    def settle(self, order: Order) -> Order:
        """A lost DEBIT answer, settled from the card's log."""

    def give_up(self, order: Order, reason: str) -> Order:
        """Cancel an order that moved no value."""

    def with_pin_block(self, order: Order, pin_block: str | None) -> None: ...


class Worker(Protocol):
    """Runs the money work off the caller's thread, one job at a time, in order
    (a one-thread concurrent.futures.ThreadPoolExecutor)."""

    def submit(self, fn: Callable[[], object], /) -> object: ...

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...
