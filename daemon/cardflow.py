"""Tap to balance: what happens between a card entering the field and the card screen.

Listens to the card reader. As soon as the card number is known the central
look-up starts on a worker thread, in parallel with the rest of the card read
(balance, log). The card screen is composed from the chip's answers (always)
and the central side's (when the link is up), and says honestly which part is
missing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from msgspec.structs import replace

from daemon.central import (
    CentralClient,
    CentralError,
    CentralRejected,
    central_path,
    reply_as,
)
from daemon.interop import Interop
from daemon.state import KioskState
from hardware.card.errors import CardRemoved
from protocol.cardno import printed_card_no
from protocol.central import CardInfo
from protocol.local import CardView, Notice, RecordView, to_json
from protocol.masking import mask_card_no

__all__ = ["CardBusy", "CardFlow", "CentralCard", "TransferInfo"]

logger = logging.getLogger(__name__)

_RECORD_KINDS = {0x02: "load", 0x06: "purchase", 0x09: "transit", 0x01: "passbook_load"}


class CardLike(Protocol):
    """What the card layer's parsed card offers (hardware.card.CardInfo)."""

    card_no: str


class CardBusy(Exception):
    """A money session is using the card in the field: reading it now could come
    between two steps of its transaction on the card."""


#: Runs an operation on the card in the field (the reader's ``submit``); CardRemoved
#: when there is none, or it left.
Submit = Callable[[Callable[[Any], Any], float], Any]


class SessionHooks(Protocol):
    """What the session manager (daemon.sessions) wants to know about taps."""

    def busy(self) -> bool: ...
    def tapped(self, card: Any) -> None: ...
    def card_checking(self, card: Any) -> None: ...
    def card_shown(self, card: Any, central: CentralCard | None) -> None: ...


BLACKLIST_REASONS = ("overdraft", "fraud", "other")


class CentralCard:
    """The central side's view of a card, validated."""

    def __init__(self, payload: Any) -> None:
        card = reply_as(CardInfo, payload)  # CentralMalformed when it is not one
        self.status = card.status
        self.card_type = card.card_type
        self.points = card.points
        self.pending_load_fen = sum(p.amount_fen for p in card.pending_loads)
        self.pending_loads = [(p.order_id, p.amount_fen) for p in card.pending_loads]
        self.pending_sources = {p.order_id: p.source for p in card.pending_loads}
        t = card.transfer
        self.transfer = None if t is None else TransferInfo(
            t.old_card_no, t.status, t.available_at, t.transferable_fen, t.old_aid)
        # why a blacklisted card is (overdraft | fraud | other; a reason the kiosk does not
        # know reads as other) and what it owes
        black = card.blacklist
        self.blacklist: tuple[str, int] | None = None if black is None else (
            black.reason if black.reason in BLACKLIST_REASONS else "other", black.owed_fen)
        # absent from an older central side
        self.discount: dict[str, int] | None = (
            None if card.discount is None else to_json(card.discount))
        limits = card.load_limits
        self.load_limits: dict[str, int] | None = None if limits is None else {
            "single_max_fen": limits.single_max_fen,
            "daily_remaining_fen": limits.daily_remaining_fen,
            "purse_cap_fen": limits.purse_cap_fen}


@dataclass(frozen=True)
class TransferInfo:
    """This card replaces a lost one: the old card's balance, held until
    ``available_at``, then moved by a transfer (central/routes/lifecycle.py)."""

    old_card_no: str
    status: str  # held | available | in_progress | done
    available_at: str  # ISO 8601
    transferable_fen: int
    old_aid: str | None = None  # how the old card prints its number

    def view(self, balance_fen: int, cap_fen: int | None) -> dict[str, Any]:
        """What the card screen shows: the old card masked, what moves on this tap
        (at most up to the e-purse cap; the rest stays transferable)."""
        fits = self.transferable_fen if cap_fen is None else \
            max(0, min(self.transferable_fen, cap_fen - balance_fen))
        return {"old_card_no_masked": mask_card_no(printed_card_no(self.old_card_no,
                                                                    self.old_aid)),
                "status": self.status,
                "available_at": self.available_at, "transferable_fen": self.transferable_fen,
                "amount_fen": fits}


class CardFlow:
    """The reader's listener for the read-only tap path."""

    def __init__(self, state: KioskState, central: CentralClient | None, *,
                 interop: Interop | None = None) -> None:
        self._state = state
        self._interop = interop or Interop()
        self._central = central
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="central-lookup")
        self._lookup: Future[CentralCard | str] | None = None
        self._lock = threading.Lock()
        self._card_seen = threading.Condition(self._lock)
        self.last_card: Any = None
        self._present: Any = None  # the card read on the tap still in the field
        self.hooks: SessionHooks | None = None

    # -- reader listener -----------------------------------------------------------
    def reader_state(self, state: str) -> None:
        self._state.update(devices={"reader": state})

    def _busy(self) -> bool:
        """A money session owns the screen, or the kiosk is in maintenance."""
        if self._state.snapshot().maintenance:
            return True
        return self.hooks is not None and self.hooks.busy()

    def card_identified(self, card_no: str) -> None:
        with self._lock:
            self._present = None  # a new card is coming into the field
        if self._busy():
            return  # a money session owns the screen; it decides about this card
        # The look-up first: for a card whose number comes with its first answer the
        # central round trip is the tap's floor, and publishing the "reading" screen
        # (a snapshot to every event subscriber) need not delay it.
        with self._lock:
            self._lookup = self._pool.submit(self._look_up, card_no) if self._central else None
        self._state.update(screen="reading", card=None, notice=None)

    def card_read(self, card: Any) -> None:
        with self._lock:
            lookup, self._lookup = self._lookup, None
            self.last_card = self._present = card
            self._card_seen.notify_all()
        if self._busy():
            if self.hooks is not None and self.hooks.busy():
                self.hooks.tapped(card)
            return
        if self.hooks is not None:
            # Before the screen shows it: a service pressed from then on is for this
            # card, and waits for the centre's half if that is still coming.
            self.hooks.card_checking(card)
        if lookup is None:
            self._state.update(screen="card", card=self._view(card, "offline"), notice=None)
            self._shown(card, "offline")
        elif lookup.done():
            self._state.update(screen="card", card=self._view(card, lookup.result()), notice=None)
            self._shown(card, lookup.result())
        else:
            # Show the chip's answer now; the central half follows when it arrives.
            self._state.update(screen="card", card=self._view(card, "pending"), notice=None)
            lookup.add_done_callback(lambda done: self._central_arrived(card, done))

    def _central_arrived(self, card: Any, done: Future[CentralCard | str]) -> None:
        with self._lock:
            if self.last_card is not card:
                return  # another card has been tapped since
        if self._busy():
            return
        self._state.update(card=self._view(card, done.result()))
        self._shown(card, done.result())

    def _view(self, card: Any, central: CentralCard | str) -> CardView:
        view = _card_view(card, central)
        public = getattr(card, "public", None)
        other = self._interop.card_fields(getattr(public, "city_code", None),
                                          isinstance(central, CentralCard))
        return replace(view, **other) if other["issuer_city"] else view

    def _shown(self, card: Any, central: CentralCard | str) -> None:
        if self.hooks is not None:
            self.hooks.card_shown(card, central if isinstance(central, CentralCard) else None)

    def read_now(self, submit: Submit, timeout: float) -> Any:
        """The card in the field, read from the chip now; if none is there, the next
        one tapped within ``timeout`` s. None on timeout.

        The card seen at its tap may have left since (or be another one now): only
        a fresh read on the reader tells. Raises :class:`CardBusy` while a money
        session uses the card, and the card layer's errors other than CardRemoved.
        """
        deadline = time.monotonic() + timeout
        gone: Any = None  # a tap whose card turned out to have left the field
        while True:
            if self.hooks is not None and self.hooks.busy():
                raise CardBusy("a cardholder session is using the card")
            tapped = self._in_field(gone, max(0.0, deadline - time.monotonic()))
            if tapped is None:
                return None
            try:
                return submit(lambda purse: purse.read(), max(1.0, deadline - time.monotonic()))
            except CardRemoved:
                gone = tapped  # wait for the next tap

    def _in_field(self, gone: Any, timeout: float) -> Any:
        """The tap whose card is in the field, other than ``gone``; None if none
        comes within ``timeout`` s."""
        def arrived() -> bool:
            return self._present not in (None, gone)

        with self._lock:
            return self._present if self._card_seen.wait_for(arrived, timeout) else None

    def card_unsupported(self, reason: str) -> None:
        if self._busy():
            return
        self._state.update(screen="card_error", card=None, notice=Notice(
            "card_not_supported", "This card is not supported here. Please use a city card.",
            "不支持此卡，请使用城市一卡通。"))
        logger.info("card not supported: %s", reason)

    def card_error(self, error: Exception) -> None:
        if self._busy():
            logger.warning("card error during a session: %s", error)
            return
        code = getattr(error, "code", "card_error")
        message = getattr(error, "message", None) or "The card could not be read. Please tap again."
        message_zh = getattr(error, "message_zh", None) or "读卡失败，请重新刷卡。"
        self._state.update(screen="card_error", card=None,
                           notice=Notice(str(code), str(message), str(message_zh)))
        logger.warning("card error: %s", error)

    def card_removed(self) -> None:
        # The card screen stays: a cardholder reads it with the card in hand.
        with self._lock:
            self._present = None
        logger.debug("card removed")

    # -- central ---------------------------------------------------------------------
    def _look_up(self, card_no: str) -> CentralCard | str:
        assert self._central is not None
        try:
            return CentralCard(self._central.request(
                "GET", central_path("/v1/cards/{card_no}", card_no=card_no)))
        except CentralRejected as exc:
            return "unknown_card" if exc.code == "card_unknown" else "offline"
        except CentralError as exc:
            logger.warning("central look-up for %s failed: %s", mask_card_no(card_no), exc)
            return "offline"

    def close(self, *, wait: bool = False) -> None:
        """Stop looking cards up; ``wait``: let a look-up under way finish first."""
        self._pool.shutdown(wait=wait, cancel_futures=True)


def _card_view(card: Any, central: CentralCard | str) -> CardView:
    records = [RecordView(when=r.timestamp.isoformat(), kind=_RECORD_KINDS.get(r.type, "other"),
                          amount_fen=r.amount_fen, terminal_id=r.terminal_hex)
               for r in card.records]
    blocked = getattr(card, "blocked", False)
    # as printed on the card: a T-Union number is the serial without its pad digit
    printed = getattr(card, "printed_no", card.card_no)
    common = dict(card_no_masked=mask_card_no(printed), balance_fen=card.balance_fen,
                  valid_from=card.valid_from.isoformat(), valid_until=card.valid_until.isoformat(),
                  records=records, overdraft_fen=getattr(card, "overdraft_fen", None) or None)
    if isinstance(central, CentralCard):
        cap = central.load_limits["purse_cap_fen"] if central.load_limits else None
        return CardView(**common, card_type=central.card_type,
                        status="blocked" if blocked else central.status, points=central.points,
                        pending_load_fen=central.pending_load_fen, central="ok",
                        discount=central.discount,
                        transfer=central.transfer.view(card.balance_fen, cap)
                        if central.transfer else None,
                        blacklist={"reason": central.blacklist[0],
                                   "owed_fen": central.blacklist[1]}
                        if central.blacklist else None)
    link = central if central in ("unknown_card", "pending") else "offline"
    return CardView(**common, card_type=getattr(card, "card_type", "unknown"),
                    status="blocked" if blocked else "unknown", central=link)  # type: ignore[arg-type]
