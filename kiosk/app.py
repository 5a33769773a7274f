"""The Kivy application: a header with the language switch, and the body for
the daemon's current snapshot. All state comes from kioskd; the app only
draws and sends intents."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from kiosk import views
from kiosk.feed import StateFeed
from kiosk.i18n import t
from kiosk.probe import Probe
from kiosk.widgets import BLUE, PAGE, WHITE, Panel, action, text
from protocol.local import StateSnapshot
from protocol.localclient import DaemonUnavailable, LocalApiError, LocalClient

__all__ = ["KioskApp"]

logger = logging.getLogger(__name__)


class KioskApp(App):  # type: ignore[misc]
    title = "CityCard Kiosk"

    def __init__(self, client: LocalClient, *, default_language: str = "zh",
                 probe: Probe | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._client = client
        self._probe = probe
        self._snap: StateSnapshot | None = None
        self._daemon_up = False
        self._language = default_language
        self._feed = StateFeed(client, self._from_feed)

    # -- layout ------------------------------------------------------------------------
    def build(self) -> BoxLayout:
        Window.clearcolor = PAGE
        self.root_box = BoxLayout(orientation="vertical")
        header = Panel(BLUE, orientation="horizontal", size_hint_y=None, height=96,
                       padding=(36, 12), spacing=24)
        self.title_label = text("", 36, WHITE, bold=True)
        header.add_widget(self.title_label)
        self.lang_button = action("", self._switch_language, primary=False, width=200, size=28,
                                  height=72)
        header.add_widget(self.lang_button)
        self.root_box.add_widget(header)
        self.body = BoxLayout()
        self.root_box.add_widget(self.body)
        return self.root_box

    def on_start(self) -> None:
        self._draw()
        if self._probe is not None:
            signal.signal(signal.SIGUSR1,
                          lambda *_: Clock.schedule_once(lambda dt: self._screenshot(), 0.15))
        self._feed.start()

    def on_stop(self) -> None:
        self._feed.stop()

    # -- state -------------------------------------------------------------------------
    def _from_feed(self, snap: StateSnapshot | None) -> None:
        Clock.schedule_once(lambda dt: self._apply(snap), 0)

    def _apply(self, snap: StateSnapshot | None) -> None:
        self._daemon_up = snap is not None
        if snap is not None:
            self._snap = snap
            self._language = snap.language
        self._draw()

    def _draw(self) -> None:
        lang = self._language
        self.title_label.text = t("title", lang)
        self.lang_button.text = t("switch_language", lang)
        self.body.clear_widgets()
        if self._daemon_up and self._snap is not None:
            self.body.add_widget(views.body_for(self._snap, self._intent))
        else:
            self.body.add_widget(views.out_of_service(lang))
        if self._probe is not None:
            # After the next frame is drawn, so the probe reports what is on the glass.
            Clock.schedule_once(lambda dt: self._write_probe(), 0.1)

    # -- intents -----------------------------------------------------------------------
    def _switch_language(self) -> None:
        self._intent("/v1/language", {"language": "en" if self._language == "zh" else "zh"})

    def _intent(self, path: str, body: dict[str, Any] | None) -> None:
        """Send an intent without blocking the screen; the answer arrives as a snapshot."""
        def send() -> None:
            try:
                self._client.post(path, body)
            except LocalApiError as exc:
                logger.warning("intent %s refused: %s", path, exc)
            except DaemonUnavailable as exc:
                logger.warning("intent %s: %s", path, exc)
        threading.Thread(target=send, name="intent", daemon=True).start()

    # -- probe -------------------------------------------------------------------------
    def _texts(self) -> list[str]:
        return [w.text for w in self.root_box.walk(restrict=True)
                if isinstance(w, Label) and w.text]

    def _write_probe(self) -> None:
        assert self._probe is not None
        snap = self._snap
        self._probe.write_view({
            "seq": snap.seq if snap else None,
            "screen": snap.screen if snap and self._daemon_up else "out_of_service",
            "language": self._language, "central": snap.central if snap else None,
            "daemon": "up" if self._daemon_up else "down",
            "session_step": snap.session.step if snap and snap.session else None,
            "texts": self._texts(),
        })

    def _screenshot(self) -> None:
        assert self._probe is not None
        wanted = self._probe.next_shot()
        written = Window.screenshot(name=str(wanted))
        self._probe.shot_saved(Path(written), wanted)
        logger.info("screenshot %s", wanted)
