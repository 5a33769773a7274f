"""The Kivy application: a header with the language switch, a ScreenManager with
one screen per step, the idle countdown, and the lock-down of a public kiosk.

All money state comes from kioskd: the snapshot picks the screen
(:mod:`kiosk.routing`); intents go out through one ordered worker
(:mod:`kiosk.intents`) and a refusal is shown on the screen with the daemon's
message — ``pin_required`` opens the PIN pad and sends the intent again with it.
"""

from __future__ import annotations

import base64
import functools
import gc
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import NumericProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition

from kiosk.api import (
    DaemonUnavailable,
    LocalApiError,
    LocalClient,
    ScreenshotAnswer,
    StateSnapshot,
    decode_reply,
)
from kiosk.feed import StateFeed
from kiosk.i18n import t
from kiosk.intents import Intent, IntentWorker, Outcome
from kiosk.lockdown import TouchDeduper
from kiosk.probe import Probe, WhenSettled
from kiosk.routing import screen_for
from kiosk.screens import Ctx, KioskScreen, make_screen
from kiosk.screens.base import act, body, panel, title
from kiosk.screens.money import PinEntryScreen, refusal_text
from kiosk.screenshot import window_png
from kiosk.widgets import PAGE

__all__ = ["KioskApp"]

logger = logging.getLogger(__name__)

# Not "kiosk.kv": Kivy would load that by the app's name as well, and every rule twice.
KV = Path(__file__).with_name("look.kv")
LARGE_TEXT = 1.3
COUNTDOWN_S = 20
# How often at most a touch tells kioskd the cardholder is still there (its idle time
# is idle_timeout_s, 60 s by default: typing on a keypad it cannot see must not end
# the card screen under the cardholder's fingers).
STILL_HERE_EVERY_S = 10.0
# Screens that never time out in the UI: nothing to walk away from, or a money step
# the daemon finishes itself.
NO_IDLE = frozenset({"attract", "reading", "maintenance", "out_of_service", "topup_loading",
                     "topup_put_card_back", "bill_paying"})


@functools.cache
def _probe_touch() -> Any:
    """The probe's touch: a Kivy motion event at a window point, dispatched as a finger's
    would be (our double-touch filter included). What ``kivy.tests.common.UnitTestTouch``
    does, without importing that module: it brings unittest and Kivy's test helpers,
    12.9 MB the first tap added to every UI the tests and the bench measure."""
    from kivy.base import EventLoop
    from kivy.input.motionevent import MotionEvent

    class ProbeTouch(MotionEvent):  # type: ignore[misc]
        def __init__(self, x: float, y: float) -> None:
            win = EventLoop.window
            super().__init__("ProbeTouch", 99, {"x": x / (win.width - 1.0),
                                                "y": y / (win.height - 1.0)},
                             is_touch=True, type_id="touch")
            self.profile = ["pos"]

        def depack(self, args: dict[str, float]) -> None:
            self.sx, self.sy = args["x"], args["y"]
            super().depack(args)

        def touch_down(self) -> None:
            EventLoop.post_dispatch_input("begin", self)

        def touch_up(self) -> None:
            EventLoop.post_dispatch_input("end", self)

    return ProbeTouch


class KioskRoot(BoxLayout):  # type: ignore[misc]
    pass


class IdleOverlay(FloatLayout):  # type: ignore[misc]
    """Covers the screen: a touch anywhere on it continues, and never reaches the
    button underneath (a tile under "continue" must not open)."""

    on_continue: Callable[[], None] | None = None

    def on_touch_down(self, touch: Any) -> bool:
        if self.on_continue is not None:
            self.on_continue()
        return True

    def on_touch_move(self, touch: Any) -> bool:
        return True

    def on_touch_up(self, touch: Any) -> bool:
        return True


Factory.register("KioskRoot", cls=KioskRoot)
Factory.register("IdleOverlay", cls=IdleOverlay)


class KioskApp(App):  # type: ignore[misc]
    title = "CityCard Kiosk"
    text_scale = NumericProperty(1.0)
    use_kivy_settings = False

    def __init__(self, client: LocalClient, *, default_language: str = "zh",
                 probe: Probe | None = None, hotline: str = "12345",
                 idle_timeout_s: float = 60, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hotline = hotline
        self._probe = probe
        self._snap: StateSnapshot | None = None
        self._daemon_up = False
        self._language = default_language
        self.local: str | None = None
        self.origin: str | None = None
        self._idle_s = idle_timeout_s
        # A short idle time (the config allows 5 s) gets a countdown and keep-alives in
        # proportion, so the countdown does not cover every screen at once.
        self._countdown_s = min(COUNTDOWN_S, max(1, int(idle_timeout_s / 3)))
        self._still_here_every_s = min(STILL_HERE_EVERY_S, idle_timeout_s / 4)
        self._last_touch = time.monotonic()
        self._told_still_here = -STILL_HERE_EVERY_S  # the first touch tells at once
        self._countdown: int | None = None
        self._overlay: IdleOverlay | None = None
        self._client = client
        self._feed = StateFeed(client, self._from_feed, on_screenshot=self._screenshot_asked)
        self._worker = IntentWorker(client, self._from_worker)
        self._dedupe = TouchDeduper()
        self._screens: dict[str, KioskScreen] = {}
        self._probe_trigger: Any = None
        self._probe_write = WhenSettled(self._write_view)
        self.keys_seen = 0

    # -- layout ------------------------------------------------------------------------
    def build(self) -> FloatLayout:
        Window.clearcolor = PAGE
        Builder.load_file(str(KV))
        self.stage = FloatLayout()
        self.shell = KioskRoot()
        self.stage.add_widget(self.shell)
        self.shell.lang_button.bind(on_release=lambda *_: self._switch_language())
        self.manager = self.shell.manager
        self.manager.transition = NoTransition()
        self._lock_down()
        return self.stage

    def _lock_down(self) -> None:
        """No key and no window-manager request closes the app; one tap is one press."""
        Window.bind(on_request_close=lambda *_a, **_k: True)
        Window.bind(on_keyboard=self._key)
        Window.bind(on_motion=self._motion)
        Window.bind(on_touch_down=self._touched)

    def _key(self, *_: Any) -> bool:
        # Counted so the lock-down test can tell a key that arrived and was swallowed
        # from a key that never reached the window.
        self.keys_seen += 1
        return True

    def _motion(self, _win: Any, etype: str, me: Any) -> bool:
        x, y = me.sx * Window.width, me.sy * Window.height
        return not self._dedupe.accept(etype, me.uid, str(me.device), x, y, time.monotonic())

    def _touched(self, *_: Any) -> None:
        now = self._last_touch = time.monotonic()
        snap = self._snap
        if snap is not None and self._daemon_up and snap.screen != "attract" \
                and now - self._told_still_here >= self._still_here_every_s:
            # The daemon's own idle time starts again; no answer is shown to anyone.
            self._told_still_here = now
            self._worker.submit(Intent("POST", "/v1/still-here", None, None))

    def open_settings(self, *_: Any) -> bool:  # F1 and the settings key do nothing
        return False

    def on_start(self) -> None:
        # SDL turns SIGTERM into a window close request, which the lock-down refuses:
        # `systemctl stop` (and a test's teardown) waited its whole timeout for a kill.
        # A signal comes from the system, never from a cardholder: stop at once.
        signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda dt: self.stop(), 0))
        # What start-up made (Kivy, the kv rules, the shell) lives as long as the app:
        # out of the cyclic collector's sight, so the collection a screen's rebuild asks
        # for (KioskScreen.draw) looks at the screens' widgets only (~40,000 objects
        # fewer: ~8 ms instead of 45-80 ms here).
        gc.freeze()
        self._route()
        if self._probe is not None:
            signal.signal(signal.SIGUSR1,
                          lambda *_: Clock.schedule_once(lambda dt: self._screenshot(), 0.15))
            Clock.schedule_interval(lambda dt: self._probe_commands(), 0.05)
        Clock.schedule_interval(lambda dt: self._idle_tick(), 1.0)
        self._worker.start()
        self._feed.start()

    def on_stop(self) -> None:
        self._feed.stop()
        self._worker.stop()

    # -- state -------------------------------------------------------------------------
    def _from_feed(self, snap: StateSnapshot | None) -> None:
        Clock.schedule_once(lambda dt: self._apply(snap), 0)

    def _apply(self, snap: StateSnapshot | None) -> None:
        before = self._snap.screen if (self._snap and self._daemon_up) else None
        self._daemon_up = snap is not None
        if snap is not None:
            self._snap = snap
            self._language = snap.language
        now = snap.screen if snap is not None else None
        if now != before:
            self.local = None  # the daemon moved on: the UI's own steps end here
            if now in ("attract", None):
                self.origin = None
                if before not in (None, "attract"):
                    self.text_scale = 1.0  # the next person starts with normal text
        self._route()

    def ctx(self) -> Ctx:
        return Ctx(self._snap if self._daemon_up else None, self._language, self)

    def _route(self) -> None:
        ctx = self.ctx()
        name = screen_for(ctx.snap, self.local, self.origin)
        screen = self.screen(name)
        self.shell.title_label.text = t("title", self._language)
        self.shell.lang_button.text = t("switch_language", self._language)
        if self.manager.current != name:
            screen.arrive(ctx)
            self._last_touch = time.monotonic()
            self.manager.current = name
            # Finish the switch now: the old screen leaves the tree before the next touch
            # (a switch still "in transition" ignores touches and keeps both screens).
            self.manager.transition.stop()
        screen.draw(ctx)
        if self._overlay is not None:
            self._draw_idle()
        self._probe_soon()

    # -- what screens ask for ----------------------------------------------------------------
    def screen(self, name: str) -> Any:
        """The screen ``name``, made and added to the manager on its first use."""
        screen = self._screens.get(name)
        if screen is None:
            screen = self._screens[name] = make_screen(name)
            self.manager.add_widget(screen)
        return screen

    def go(self, local: str | None, origin: str | None = None) -> None:
        self.local = local
        if origin is not None:
            self.origin = origin
        self._route()

    def toggle_text_scale(self) -> None:
        self.text_scale = 1.0 if self.text_scale > 1.0 else LARGE_TEXT
        self._route()

    def pin_for(self, purpose: str, on_pin: Callable[[str], None]) -> None:
        pad = self.screen("pin_entry")
        assert isinstance(pad, PinEntryScreen)
        pad.purpose, pad.on_pin = purpose, on_pin
        pad.back_to = self.local if self.local != "pin_entry" else pad.back_to
        if self.local == "pin_entry":
            return
        self.go("pin_entry")

    def send(self, method: str, path: str, body: dict[str, Any] | None = None, *,
             on_ok: Callable[[Any], None] | None = None,
             on_refused: Callable[[LocalApiError], bool] | None = None) -> None:
        def done(outcome: Outcome) -> None:
            self._outcome(outcome, on_ok, on_refused)
        self._worker.submit(Intent(method, path, body if method == "POST" else None, done))

    def _switch_language(self) -> None:
        self.send("POST", "/v1/language", {"language": "en" if self._language == "zh" else "zh"})

    def _from_worker(self, outcome: Outcome) -> None:
        if outcome.intent.on_done is not None:
            callback = outcome.intent.on_done
            Clock.schedule_once(lambda dt: callback(outcome), 0)

    def _outcome(self, outcome: Outcome, on_ok: Callable[[Any], None] | None,
                 on_refused: Callable[[LocalApiError], bool] | None) -> None:
        current = self._screens[self.manager.current]
        if outcome.ok:
            if on_ok is not None:
                on_ok(outcome.reply)
            elif current.message:
                current.say("")
            self._probe_soon()
            return
        err = outcome.error
        if err is None:
            current.say(t("daemon_unavailable", self._language))
        elif on_refused is not None and on_refused(err):
            pass
        elif err.code == "pin_required":
            intent = outcome.intent
            self.pin_for(t("pin_entry_title", self._language),
                         lambda pin: self.send(intent.method, intent.path,
                                               {**(intent.body or {}), "pin": pin},
                                               on_ok=on_ok, on_refused=on_refused))
        else:
            self._screens[self.manager.current].say(refusal_text(err, self._language))
        self._probe_soon()

    # -- idle ----------------------------------------------------------------------------
    def _idle_tick(self) -> None:
        if self.manager.current in NO_IDLE:
            self._dismiss_idle()
            return
        left = int(self._idle_s - (time.monotonic() - self._last_touch))
        if self._overlay is None and left <= self._countdown_s:
            self.start_idle(left)
        elif self._overlay is not None and self._countdown is not None:
            self._countdown -= 1
            if self._countdown <= 0:
                self._idle_expired()
            else:
                self._draw_idle()

    def start_idle(self, seconds: int = COUNTDOWN_S) -> None:
        """Show "Still there? N s"."""
        self._countdown = max(1, seconds)
        self._overlay = IdleOverlay()
        self._overlay.on_continue = self._dismiss_idle
        self.stage.add_widget(self._overlay)
        self._draw_idle()

    def _draw_idle(self) -> None:
        assert self._overlay is not None
        lang = self._language
        self._overlay.clear_widgets()
        box = panel(title(t("idle_title", lang), role="hero"),
                    body(t("idle_text", lang, s=self._countdown)),
                    act(t("continue", lang), self._dismiss_idle, "continue"),
                    size_hint=(None, None), size=(dp(420), dp(230)),
                    pos_hint={"center_x": 0.5, "center_y": 0.5})
        self._overlay.add_widget(box)
        self._probe_soon()

    def _dismiss_idle(self) -> None:
        self._last_touch = time.monotonic()
        if self._overlay is not None:
            self.stage.remove_widget(self._overlay)
            self._overlay, self._countdown = None, None
            self._probe_soon()

    def _idle_expired(self) -> None:
        """Nobody came back: a top-up with cash in is finished (the daemon loads it or
        leaves it pending with a voucher); anything else ends."""
        self._dismiss_idle()
        session = self._snap.session if self._snap else None
        self.local = None
        if session is not None and session.kind == "topup" and session.step == "inserting":
            self.send("POST", "/v1/topup/finish" if session.amount_fen else "/v1/topup/cancel")
        elif self._snap is not None and self._snap.screen != "attract":
            self.send("POST", "/v1/session/end")
        self._route()

    # -- probe -------------------------------------------------------------------------
    def _probe_soon(self) -> None:
        if self._probe is not None:
            # After the next frame is drawn, so the probe reports what is on the glass;
            # one write for the changes of that time (a trigger coalesces): each write
            # walks every widget on screen, and a tap made three or four of them.
            if self._probe_trigger is None:
                self._probe_trigger = Clock.create_trigger(lambda dt: self._write_probe(), 0.1)
            self._probe_trigger()

    def _write_probe(self) -> None:
        """The view, once the layout has settled (WhenSettled: not in the tick a screen
        was built, when its widgets have no positions yet)."""
        self._probe_write()

    def _write_view(self, settled: bool) -> None:
        assert self._probe is not None
        snap = self._snap
        self._probe.write_view({
            "settled": settled,
            "seq": snap.seq if snap else None,
            "screen": snap.screen if snap and self._daemon_up else "out_of_service",
            "ui_screen": self.manager.current,
            "overlay": "idle_countdown" if self._overlay is not None else None,
            "language": self._language, "central": snap.central if snap else None,
            "card_central": snap.card.central if snap and snap.card else None,
            "daemon": "up" if self._daemon_up else "down",
            "session_step": snap.session.step if snap and snap.session else None,
            "text_scale": self.text_scale, "keys_seen": self.keys_seen,
            "builds": self._screens[self.manager.current].builds,
            **self._probe.inspect(self.stage, Window.size),
        })

    def _probe_commands(self) -> None:
        assert self._probe is not None
        for command in self._probe.commands():
            self._probe_command(command)

    def _probe_command(self, command: dict[str, Any]) -> None:
        """A test's touch at a point, a paste, a window size, a snapshot (the demo's
        card errors the simulator cannot make), or the idle countdown now."""
        if "tap" in command:
            x, y = command["tap"]
            shown, started = self.manager.current, time.perf_counter()
            touch = _probe_touch()(x, y)
            touch.touch_down()
            touch.touch_up()
            if self.manager.current != shown:  # the bench's figure: touch → next frame
                Clock.schedule_once(lambda dt: self._probe_switch(started), 0)
        elif "paste" in command:
            self._screens[self.manager.current].paste(str(command["paste"]))
        elif "resize" in command:
            Window.size = (int(command["resize"][0]), int(command["resize"][1]))
        elif "snapshot" in command:
            data = command["snapshot"]
            self._apply(decode_reply(StateSnapshot, data) if data else None)
        elif "idle" in command:
            self._last_touch = time.monotonic() - self._idle_s
            self._dismiss_idle()
            self.start_idle(int(command["idle"]))
        Clock.schedule_once(lambda dt: self._command_done(command), 0.1)

    def _probe_switch(self, started: float) -> None:
        assert self._probe is not None
        self._probe.switch_ms = (time.perf_counter() - started) * 1000

    def _command_done(self, command: dict[str, Any]) -> None:
        assert self._probe is not None
        self._probe.done(command)
        self._write_probe()

    # -- remote support ----------------------------------------------------------------
    def _screenshot_asked(self, request_id: str) -> None:
        """An operator's ``kioskctl screenshot`` (from the feed thread): capture the
        window on the Kivy thread, send it from another."""
        Clock.schedule_once(lambda dt: self._capture(request_id), 0)

    def _capture(self, request_id: str) -> None:
        try:
            png = window_png()
        except Exception:  # logged; kioskd tells the operator no UI answered
            logger.exception("screenshot could not be taken")
            return
        threading.Thread(target=self._send_screenshot, args=(request_id, png),
                         name="screenshot", daemon=True).start()

    def _send_screenshot(self, request_id: str, png: bytes) -> None:
        try:
            self._client.post("/v1/screenshot", ScreenshotAnswer(
                request_id=request_id, png_base64=base64.b64encode(png).decode("ascii")),
                timeout=30)
            logger.info("screenshot sent (%d bytes)", len(png))
        except (DaemonUnavailable, LocalApiError) as exc:
            logger.warning("screenshot not taken by kioskd: %s", exc)

    def _screenshot(self) -> None:
        assert self._probe is not None
        wanted = self._probe.next_shot()
        written = Window.screenshot(name=str(wanted))
        self._probe.shot_saved(Path(written), wanted)
        logger.info("screenshot %s", wanted)
