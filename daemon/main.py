"""kioskd: the daemon that owns every decision and all state of one kiosk.

``main`` is linear: load config, open each part in order, serve until SIGTERM,
close in reverse in ``finally``. A start-up failure becomes one log line and a
non-zero exit (2: configuration, 3: start-up).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import Any

from config import DEFAULT_CONFIG, Config, ConfigError, load_config
from daemon.about import package_version
from daemon.account import Account
from daemon.api.activation import inherited_sockets
from daemon.api.http import UnixHttpServer
from daemon.api.routes import Services, build_routers
from daemon.audit import audit
from daemon.cardflow import CardFlow
from daemon.cashbox import Cashbox
from daemon.cashlog import CashRecorder
from daemon.central import CentralClient
from daemon.devices import Devices, open_devices
from daemon.events import EventBus
from daemon.export import export
from daemon.helpdesk import HelpDesk
from daemon.interop import Interop
from daemon.journal import Journal
from daemon.kiosksecret import KioskSecret
from daemon.loadflow import LoadFlow
from daemon.notices import NoticeBoard
from daemon.notify import Notifier
from daemon.orders import Order, OrderStore
from daemon.printing import Printing, receipt_mac_key
from daemon.purchaseflow import PurchaseFlow
from daemon.recovery import Recovery
from daemon.reporting import Reporter
from daemon.screenshot import ScreenshotDesk
from daemon.sessions import Sessions
from daemon.settlement import settle, x_report
from daemon.state import KioskState
from protocol import pinblock
from protocol.local import CentralLink, Outbox, Status

__all__ = ["main", "run"]

logger = logging.getLogger(__name__)

PROBE_INTERVAL_S = 5.0
# The link loop's calls each end within their timeouts; no finished round for this
# long means it hangs, and the watchdog lets systemd restart kioskd.
LINK_STALL_S = 300.0
# The snapshot's clock_skew_s moves only by this much: every new snapshot is an event
# that the UI redraws from (and restarts its idle countdown on), and a round trip's
# jitter must not make one a minute.
SKEW_SHOWN_STEP_S = 5.0


def _heartbeat(state: KioskState, devices: Devices) -> dict[str, Any]:
    snap = state.snapshot()
    status = devices.status()
    short = status["cash"]["cashbox"]["short"]["notes"]
    return {"state": "maintenance" if snap.maintenance else
            "in_session" if snap.session else "idle",
            "devices": {"reader": status["reader"]["state"],
                        "printer": status["printer"]["status"]["state"],
                        "cash": status["cash"]["reason"]},
            "cashbox_fen": sum(int(value) * count for value, count in short.items())}


def _status(cfg: Config, simulate: bool, devices: Devices, central: CentralClient,
            state: KioskState, started: float, reporter: Reporter) -> Status:
    link = central.link
    snap = state.snapshot()
    return Status(
        kiosk_id=cfg.kiosk.id, version=package_version(), simulate=simulate,
        uptime_s=round(time.time() - started, 1), screen=snap.screen,
        maintenance=snap.maintenance, devices=devices.status(),
        central=CentralLink(url=cfg.central.url, link=link.state, last_ok_at=link.last_ok_at,
                            last_error=link.last_error),
        clock=central.clock.reading.status(),
        config=str(cfg.source) if cfg.source else None,
        outbox=Outbox(depth=reporter.outbox.depth(),
                      parked=[{"key": k, "error": e} for k, e in reporter.outbox.parked()]))


def run(cfg: Config, *, simulate: bool, stop: threading.Event) -> int:
    """Run the daemon until ``stop`` is set. Returns the exit status."""
    started = time.time()
    notifier = Notifier()
    with ExitStack() as stack:
        # The secret its file holds now: a rotated secret is picked up without a restart.
        kiosk_secret = KioskSecret(cfg.kiosk.secret_file)
        secret = kiosk_secret.current()
        bus = EventBus()
        state = KioskState(bus, language=cfg.kiosk.language)  # type: ignore[arg-type]
        central = CentralClient(cfg.central, kiosk_id=cfg.kiosk.id, secret=kiosk_secret)
        stack.callback(central.close)
        journal = Journal(cfg.journal_path)
        stack.callback(journal.close)
        flow = CardFlow(state, central, interop=Interop(cfg.interop))
        stack.callback(flow.close)
        notices = NoticeBoard(state)
        helpdesk = HelpDesk(hotline=cfg.service.hotline,
                            cache=cfg.paths.state_dir / "help.json")
        # The heartbeat and the central maintenance windows reach the devices and the
        # sessions built below; the link loop that calls them starts after both exist.
        reporter = Reporter(journal, central, version=package_version(),
                            snapshot=lambda: _heartbeat(state, devices),
                            on_maintenance=lambda windows: sessions.central_maintenance(windows),
                            with_heartbeat=(notices.fetch, helpdesk.fetch))
        cashbox = Cashbox(journal, Cashbox.load(journal))
        recorder = CashRecorder(journal, bus, save_counters=cashbox.save, report=reporter.event)
        devices = open_devices(cfg, listener=flow, cash_listener=recorder,
                               counters=cashbox.counters, simulate=simulate)
        stack.callback(devices.close)
        printing = Printing(devices.printer, journal, kiosk_id=cfg.kiosk.id,
                            mac_key=receipt_mac_key(secret),
                            receipts_dir=cfg.paths.state_dir / "receipts",
                            zone=cfg.kiosk.zone, hotline=cfg.service.hotline)

        crash = _Crasher() if simulate else None
        store = OrderStore(journal, after_step=crash.after_step if crash else None)
        terminal = cfg.kiosk.terminal_id
        loads = LoadFlow(store, central, devices.reader, terminal_id=terminal)
        purchases = PurchaseFlow(store, central, devices.reader, terminal_id=terminal)
        recovery = Recovery(journal, store, loads, purchases, printing)
        def pin_block(pin: str, card_no: str) -> str:  # the PIN itself goes no further
            return pinblock.encode(pin, card_no, pinblock.pin_key(kiosk_secret.current()))

        sessions = Sessions(
            state=state, journal=journal, store=store, loads=loads, purchases=purchases,
            acceptor=devices.acceptor, recorder=recorder, printing=printing, central=central,
            limits=cfg.limits, pin_threshold_fen=cfg.limits.bill_password_threshold_fen,
            idle_s=float(cfg.ui.idle_timeout_s), card_wait_s=float(cfg.ui.idle_timeout_s),
            pin_block=pin_block, report=reporter.event, hotline=cfg.service.hotline)
        stack.callback(sessions.close)
        # The reader runs from open_devices on and the sessions need it, so the card
        # flow (the reader's listener) learns of the sessions last.
        flow.hooks = sessions
        account = Account(sessions=sessions, central=central, printing=printing, state=state,
                          terminal_id=terminal, pin_block=pin_block)

        def read_card(timeout: float) -> dict[str, Any] | None:
            card = flow.read_now(devices.reader.submit, timeout)
            return None if card is None else dict(card.to_json())

        services = Services(
            state=state, bus=bus, read_card=read_card, simulator=devices.simulator,
            status=lambda: _status(cfg, simulate, devices, central, state, started, reporter),
            printer_test=lambda: printing.test_page(state.snapshot().language),
            printing=printing,
            settle=lambda day: settle(journal, printing, reporter.event, day,
                                      state.snapshot().language),
            x_report=lambda day: x_report(journal, day),
            cash_insert=_cash_inserter(devices, recorder) if devices.cash_sim else None,
            sessions=sessions, account=account, cashbox=cashbox.view,
            collect=lambda operator: cashbox.collect(operator, printing,
                                                     state.snapshot().language),
            audit=lambda since, until: audit(journal, since, until),
            export=lambda since, until: export(journal, since, until),
            screenshots=ScreenshotDesk(bus),
            crash_after=crash.arm if crash else None, notices=notices,
            help=helpdesk.document)
        central.probe()
        link_up = _show_link_and_clock(central, state, devices)
        # Every unfinished order is driven to a final state before the acceptor may
        # take cash again, and before the sockets take intents (orders waiting on
        # the central link: as soon as it is up).
        notifier.status("recovering unfinished orders")
        report = recovery.run(state.snapshot().language, startup=True)
        notifier.status(f"recovered {len(report['orders'])} orders")
        devices.acceptor.update(ready=True, online=link_up)  # and the clock within the window
        kiosk_router, admin_router = build_routers(services)
        inherited = inherited_sockets()  # socket activation: systemd made them
        for path, router, name, group in (
                (cfg.kiosk_socket, kiosk_router, "kiosk", cfg.paths.kiosk_socket_group),
                (cfg.admin_socket, admin_router, "admin", cfg.paths.admin_socket_group)):
            server = UnixHttpServer(path, router, mode=cfg.paths.socket_mode, name=name,
                                    group=group, inherited=inherited.pop(name, None))
            stack.callback(server.close)
            server.start()
        for name, sock in inherited.items():
            logger.warning("systemd passed a socket named %r, which kioskd does not serve", name)
            sock.close()
        notifier.ready(f"serving on {cfg.paths.run_dir}")
        logger.info("kioskd %s ready (%s), sockets in %s", package_version(),
                    "simulated hardware" if simulate else "real hardware", cfg.paths.run_dir)
        link_loop = _LinkLoop(stop, notifier, central, state, devices,
                              lambda: recovery.run(state.snapshot().language), reporter,
                              notices)
        link_loop.start()
        stack.callback(link_loop.join, cfg.central.connect_timeout_s + cfg.central.read_timeout_s)
        _serve(stop, notifier, link_loop)
        notifier.stopping()
        logger.info("kioskd stopping")
    return 0


class _Crasher:
    """POST /v1/sim/crash (--simulate): SIGKILL this process right after a chosen order step."""

    def __init__(self) -> None:
        self._step: str | None = None

    def arm(self, step: str | None) -> None:
        self._step = step
        logger.warning("armed: kioskd dies after the next %r step", step)

    def after_step(self, order: Order) -> None:
        if self._step is not None and order.state == self._step:
            logger.warning("dying after %s of order %s, as asked", order.state, order.id)
            os.kill(os.getpid(), signal.SIGKILL)


def _cash_inserter(devices: Devices,
                   recorder: CashRecorder) -> Callable[[int, bool], dict[str, Any]]:
    """``kioskctl sim insert``: real pulses on the mock pins, and what the journal got."""
    assert devices.cash_sim is not None
    cash_sim = devices.cash_sim

    def insert(amount_fen: int, force: bool) -> dict[str, Any]:
        before = recorder.last_row()
        insertion = cash_sim.insert(amount_fen, ignore_inhibit=force)
        played = insertion.wait(30) and cash_sim.acceptor.wait_idle(10)
        return {"amount_fen": amount_fen, "accepted": bool(insertion.accepted),
                "completed": played, "inhibited": recorder.inhibited,
                "inhibit_reason": recorder.inhibit_reason,
                "journaled": recorder.inserted_since(before)}

    return insert


class _LinkLoop:
    """The central link's work on its own thread: the probe, the orders that waited
    on the link, the outbox and the heartbeat. Each call may wait on the network for
    seconds (connect + read timeouts, retries); the watchdog must not wait with it."""

    def __init__(self, stop: threading.Event, notifier: Notifier, central: CentralClient,
                 state: KioskState, devices: Devices, recover: Callable[[], object],
                 reporter: Reporter, notices: NoticeBoard) -> None:
        self._stop = stop
        self._notifier = notifier
        self._central = central
        self._state = state
        self._devices = devices
        self._recover = recover
        self._reporter = reporter
        self._notices = notices
        self._thread = threading.Thread(target=self._run, name="central-link", daemon=True)
        self.finished_at = time.monotonic()  # the end of the last round

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def healthy(self) -> bool:
        """Alive, and a round finished within :data:`LINK_STALL_S`."""
        return self._thread.is_alive() and time.monotonic() - self.finished_at < LINK_STALL_S

    def _run(self) -> None:
        while not self._stop.wait(PROBE_INTERVAL_S):
            try:
                self._round()
            except Exception:  # logged; the next round tries again
                logger.exception("central link round failed")
            self.finished_at = time.monotonic()

    def _round(self) -> None:
        link = self._central.probe()
        self._state.update(central=link.state)
        if link.up:
            self._recover()  # orders that waited on the link
        # The heartbeat's answer measures the clock: after an outage it goes first.
        self._reporter.tick(link.up)  # the heartbeat, and the notices with it
        self._notices.tick()  # an ended notice leaves the screen, link or no link
        money = _show_link_and_clock(self._central, self._state, self._devices)
        snap = self._state.snapshot()
        self._notifier.status(f"central {'up' if link.up else link.state.upper()}, clock "
                              f"{snap.clock}, screen {snap.screen}"
                              + (", maintenance" if snap.maintenance else "")
                              + ("" if money else ", no money"))


def _show_link_and_clock(central: CentralClient, state: KioskState, devices: Devices) -> bool:
    """Show the central link and the clock as the last answers left them; returns
    whether money may move, which the acceptor follows."""
    link = central.link
    clock = central.clock.reading
    shown = state.snapshot().clock_skew_s
    skew = shown if clock.skew_s is None or (
        shown is not None and abs(clock.skew_s - shown) < SKEW_SHOWN_STEP_S) \
        else round(clock.skew_s)
    state.update(central=link.state, clock=clock.state, clock_skew_s=skew)
    money = link.up and clock.state != "skewed"
    # offline, or a clock the central side cannot trust: never take the money
    devices.acceptor.update(online=money)
    return money


def _serve(stop: threading.Event, notifier: Notifier, link_loop: _LinkLoop) -> None:
    """Feed systemd's watchdog while the loops it guards are alive and progressing.
    Nothing here waits on the network, so a slow central side cannot starve it."""
    tick = notifier.watchdog_interval_s or PROBE_INTERVAL_S
    told = False
    while not stop.wait(tick):
        if link_loop.healthy():
            notifier.watchdog()
            told = False
        elif not told:
            logger.error("the central link loop is dead or stuck (no round for %.0f s); "
                         "the watchdog is no longer fed", LINK_STALL_S)
            told = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kioskd", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--simulate", action="store_true",
                        help="simulated card reader, printer and cash acceptor")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    # force: python-escpos calls logging.basicConfig() when imported, which would
    # make this call a no-op and leave the root logger at WARNING.
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            logger.error("config: %s", problem)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("signal %s received", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        return run(cfg, simulate=args.simulate, stop=stop)
    except (OSError, ValueError) as exc:
        logger.error("kioskd could not start: %s", exc)
        return 3


if __name__ == "__main__":
    sys.exit(main())
