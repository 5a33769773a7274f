"""What the session machine's tests share: the real journal, order store, cash
recorder, screen state and receipt printing (over the simulated printer), and
small fakes for the parts daemon.sessions.ports names — an acceptor that
stacks notes into the recorder, a scripted card centre and scripted flows,
a worker that runs its jobs when told, and a clock that moves when told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.schema import LimitsSection
from daemon.cardflow import CentralCard
from daemon.cashlog import CashRecorder
from daemon.central import CentralRejected, CentralUnavailable
from daemon.events import EventBus
from daemon.flow import NeedsCard
from daemon.journal import Journal
from daemon.orders import Order, OrderStore
from daemon.printing import Printing
from daemon.sessions import Sessions
from daemon.state import KioskState
from hardware.card.errors import CardError
from hardware.cash import NoteStacked
from hardware.printer import ReceiptPrinter
from hardware.printer.sim import SimPrinterDevice
from protocol.local import StateSnapshot

__all__ = ["CARD", "IDLE_S", "OTHER_CARD", "Card", "Clock", "Kit", "make_kit"]

CARD = "03104440300000100017"
OTHER_CARD = "03104440300000200016"
IDLE_S = 60.0


class Clock:
    """A monotonic clock that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class Worker:
    """The session worker, run by the test: jobs wait until :meth:`run`."""

    def __init__(self) -> None:
        self.jobs: list[Callable[[], object]] = []

    def submit(self, fn: Callable[[], object], /) -> object:
        self.jobs.append(fn)
        return None

    def run(self) -> None:
        while self.jobs:
            self.jobs.pop(0)()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.jobs.clear()


class Acceptor:
    """The bill acceptor as the sessions see it; a note goes into the real recorder."""

    smallest_fen = 100

    def __init__(self, recorder: CashRecorder) -> None:
        self._recorder = recorder
        self.accepting = False
        self.headroom_fen: int | None = None

    def update(self, *, session_accepting: bool | None = None,
               headroom_fen: int | None = None) -> object:
        if session_accepting is not None:
            self.accepting = session_accepting
        if headroom_fen is not None:
            self.headroom_fen = headroom_fen
        return None

    def wait_idle(self, timeout: float = 5.0) -> bool:
        return True

    def insert(self, value_fen: int) -> None:
        self._recorder.on_note_stacked(NoteStacked(value_fen, value_fen // 100, (), 0.0))


@dataclass
class Card:
    card_no: str = CARD
    balance_fen: int = 8650
    aid: str | None = None  # the application (hardware.card.CardInfo.aid); None: unknown


@dataclass
class Central:
    """The card centre: an answer (or an exception) per path, and what was asked."""

    answers: dict[str, Any] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    during: Callable[[], None] | None = None  # runs inside the next request

    def request(self, method: str, path: str, body: dict[str, Any] | None = None, *,
                idempotency_key: str | None = None) -> Any:
        self.asked.append(f"{method} {path}")
        if self.during is not None:
            during, self.during = self.during, None
            during()
        answer = self.answers[path.split("?")[0]]
        if isinstance(answer, Exception):
            raise answer
        return answer


def refused(code: str = "card_lost") -> CentralRejected:
    return CentralRejected(409, code, "This card has been reported lost.", "此卡已挂失。", {})


class Flow:
    """A load or purchase flow whose next drives are scripted: "complete",
    "needs_card", "offline", "refused" (the centre refuses: final, as the real
    flows journal it), "card_error", or "pin_wrong N" / "pin_locked" (the
    centre refuses the create; the order stays new, as in the real flows). The
    order moves in the real store."""

    def __init__(self, store: OrderStore, reader: list[str]) -> None:
        self._store = store
        self._reader = reader  # the card numbers in the field (one, or none)
        self.script: list[str] = []
        self.driven: list[str] = []
        self.given_up: list[str] = []
        self.pin_blocks: dict[str, str | None] = {}

    def drive(self, order: Order) -> Order:
        self.driven.append(order.id)
        outcome = self.script.pop(0) if self.script else "complete"
        if outcome == "offline":
            raise CentralUnavailable("no answer")
        if outcome == "refused":
            self._store.advance(order, "refused", code="card_lost", message="lost")
            raise refused()
        if outcome.startswith("pin_"):  # "pin_wrong 2", "pin_locked": the create is refused
            code, _, tries = outcome.partition(" ")
            details: dict[str, Any] = {"tries_left": int(tries or 0)}
            if code == "pin_locked":
                details.update(locked_until="2026-12-02T10:30:00+00:00", retry_after_s=1800)
            raise CentralRejected(422 if code == "pin_wrong" else 423, code,
                                  "Wrong payment password.", "支付密码错误。", details)
        if order.state == "new":  # the central order, which needs no card
            order = self._store.advance(order, "created", central_ref=f"C{order.id}",
                                        terminal_id="440300000001")
        if outcome == "needs_card" or (outcome == "complete" and not self.card_here(order)):
            raise NeedsCard(order.card_no)
        if outcome == "card_error":
            raise CardError("the card refused")
        sign = 1 if order.kind == "load" else -1
        return self._store.advance(order, "completed", balance_before_fen=8650,
                                   balance_after_fen=8650 + sign * order.amount_fen,
                                   tac="1A2B3C4D")

    def hold(self, order: Order, reason: str) -> Order:  # as LoadFlow.hold
        if order.state in ("credited", "completed") or order.final:
            return order
        return self._store.advance(order, "pending", reason=reason)

    def card_here(self, order: Order) -> bool:
        return order.card_no in self._reader

    def settle(self, order: Order) -> Order:
        return self.drive(order)

    def give_up(self, order: Order, reason: str) -> Order:
        self.given_up.append(order.id)
        return self._store.advance(order, "cancelled", reason=reason)

    def with_pin_block(self, order: Order, pin_block: str | None) -> None:
        self.pin_blocks[order.id] = pin_block


@dataclass
class Kit:
    sessions: Sessions
    state: KioskState
    journal: Journal
    store: OrderStore
    acceptor: Acceptor
    central: Central
    loads: Flow
    purchases: Flow
    worker: Worker
    clock: Clock
    printer: ReceiptPrinter
    reader: list[str]
    reports: list[tuple[str, dict[str, Any]]]

    def show_card(self, card: Card | None = None, *, status: str = "active",
                  pending: list[tuple[str, int]] | None = None,
                  limits: dict[str, int] | None = None) -> Card:
        """A card tapped and on screen, the centre's view of it in hand."""
        card = card or Card()
        self.reader[:] = [card.card_no]
        central = CentralCard({"status": status, "card_type": "ordinary", "points": 0,
                               "pending_loads": [{"order_id": ref, "amount_fen": fen}
                                                 for ref, fen in pending or []],
                               "load_limits": limits})
        self.state.update(screen="card", central="up")
        self.sessions.card_shown(card, central)
        return card

    def tap(self, card: Card | None = None) -> Card:
        """A tap during a session: the card flow hands it to the session's hooks."""
        card = card or Card()
        self.reader[:] = [card.card_no]
        self.sessions.tapped(card)
        return card

    def top_up(self, *notes: int, outcome: str = "complete", card_gone: bool = False) -> None:
        """A top-up on the card on screen: ``notes`` in, finished, its order run once
        (``outcome`` scripted; ``card_gone``: the card lifted before finishing)."""
        self.show_card()
        self.sessions.start_topup()
        for note in notes:
            self.acceptor.insert(note)
        if card_gone:
            self.lift_card()
        self.loads.script = [outcome]
        self.sessions.finish_topup()
        self.worker.run()

    def lift_card(self) -> None:
        self.reader.clear()

    def snap(self) -> StateSnapshot:
        return self.state.snapshot()

    def step(self) -> str | None:
        session = self.snap().session
        return session.step if session is not None else None

    def journaled(self) -> list[tuple[str, str]]:
        """The sessions table: (kind, state) in order."""
        return [(r["kind"], r["state"]) for r in self.journal.query(
            "SELECT kind, state FROM sessions ORDER BY started_at, rowid")]

    def receipts(self) -> list[str]:
        return [r["id"].rsplit("-", 1)[1] for r in self.journal.query(
            "SELECT id FROM receipts ORDER BY rowid")]

    def tick_after(self, seconds: float) -> None:
        self.sessions.tick(self.clock.advance(seconds))
        self.worker.run()


def make_kit(tmp_path: Path, *, idle_s: float = IDLE_S, card_wait_s: float = IDLE_S,
             limits: LimitsSection | None = None, pin_threshold_fen: int = 20000,
             check_wait_s: float = 3.0) -> Kit:
    journal = Journal(tmp_path / "journal.sqlite")
    store = OrderStore(journal)
    bus = EventBus(keep=50)
    state = KioskState(bus, language="en")
    recorder = CashRecorder(journal, bus)
    reader: list[str] = []
    printer = ReceiptPrinter(device=SimPrinterDevice())
    printing = Printing(printer, journal, kiosk_id="K1", mac_key=b"k" * 16,
                        receipts_dir=tmp_path / "receipts")
    acceptor, central, worker, clock = Acceptor(recorder), Central(), Worker(), Clock()
    loads, purchases = Flow(store, reader), Flow(store, reader)
    reports: list[tuple[str, dict[str, Any]]] = []
    sessions = Sessions(
        state=state, journal=journal, store=store, loads=loads, purchases=purchases,
        acceptor=acceptor, recorder=recorder, printing=printing, central=central,
        limits=limits or LimitsSection(), pin_threshold_fen=pin_threshold_fen,
        card_wait_s=card_wait_s, idle_s=idle_s,
        pin_block=lambda pin, card_no: f"BLOCK-{card_no[-4:]}",
        report=lambda kind, data: reports.append((kind, data)),
        worker=worker, clock=clock, tick_every_s=None, check_wait_s=check_wait_s)
    return Kit(sessions, state, journal, store, acceptor, central, loads, purchases, worker,
               clock, printer, reader, reports)
