"""What every screen shares: drawing from a context, its own input, a message line.

A screen is drawn from the daemon's snapshot plus the input it holds itself (the
digits on its keypad, the choice made on it). A new snapshot redraws it without
touching that input; the input is cleared only when the person arrives on the
screen from another one (:meth:`KioskScreen.arrive`).

A screen is built once and kept: its widgets are built again only when what it
shows changes — :meth:`KioskScreen.view_key` of a new state event differs (the
language, the text size, the snapshot apart from its sequence number), its own
input changed (:meth:`KioskScreen.redraw`), or the person arrives on a screen that
had input to clear. Building a screen's widgets (Kivy labels, kv rules) costs
tens of milliseconds on a Pi; rebuilding every screen on every switch and every
state event was most of a switch's time and left memory growing tap after tap.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kivy.metrics import dp
from kivy.properties import ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen
from msgspec.structs import replace

from kiosk.i18n import t
from kiosk.widgets import BLUE, GREY, RED, Act, Fit, Panel, Tile, Txt, buttons, spacer

if TYPE_CHECKING:
    from kiosk.api import LocalApiError, StateSnapshot

__all__ = ["Ctx", "KioskScreen", "Services"]


class Services(Protocol):
    """What a screen may ask of the app."""

    hotline: str

    def send(self, method: str, path: str, body: dict[str, Any] | None = None, *,
             on_ok: Callable[[Any], None] | None = None,
             on_refused: Callable[[LocalApiError], bool] | None = None) -> None: ...

    def go(self, local: str | None, origin: str | None = None) -> None: ...

    def pin_for(self, title: str, on_pin: Callable[[str], None]) -> None: ...

    def screen(self, name: str) -> KioskScreen: ...

    def toggle_text_scale(self) -> None: ...


@dataclass(frozen=True)
class Ctx:
    snap: StateSnapshot | None
    lang: str
    app: Services

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)


class KioskScreen(Screen):  # type: ignore[misc]
    page = ObjectProperty(None)
    screen_name = "screen"
    # True for a screen whose arrive() clears input of its own (a keypad's digits, a
    # choice, fetched pages): arriving there builds it again from the empty input.
    resets_input = False
    # False for a screen drawn from packaged text alone: no state event rebuilds it.
    reads_snapshot = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name=self.screen_name, **kwargs)
        self.message = ""
        self.ctx: Ctx | None = None
        self.stale = True            # build on the next draw whatever the key
        self.drawn_key: object = None
        self.builds = 0              # how often the widgets were built (tests, bench)

    # -- what subclasses write ----------------------------------------------------------
    def build(self, ctx: Ctx) -> None:
        """Add this screen's widgets to ``self.page`` (already cleared)."""

    def arrive(self, ctx: Ctx) -> None:
        """The person came here from another screen: start with empty input."""
        if self.message or self.resets_input:
            self.stale = True
        self.message = ""

    def paste(self, text: str) -> None:
        """Characters pasted into the screen's field (a test, a scanner); refused by
        screens without one."""
        self.say(t("keypad_digits_only", self.ctx.lang if self.ctx else "zh"))

    # -- drawing ---------------------------------------------------------------------------
    def view_key(self, ctx: Ctx) -> object:
        """Everything of the context that :meth:`build` reads: equal keys draw the
        same widgets. A screen that reads less of the snapshot may say so and is
        then not rebuilt by the state events it does not show."""
        snap = replace(ctx.snap, seq=0) if ctx.snap is not None and self.reads_snapshot \
            else None
        return ctx.lang, getattr(ctx.app, "text_scale", 1.0), snap

    def draw(self, ctx: Ctx) -> None:
        self.ctx = ctx
        key = (self.view_key(ctx), self.message)
        if not self.stale and key == self.drawn_key:
            return
        self.stale, self.drawn_key = False, key
        self.builds += 1
        if self.page.children:
            self.page.clear_widgets()
            # The old widgets hold reference cycles (Kivy properties, kv bindings), so
            # only the cyclic collector frees them, at some later moment: the new
            # widgets were made first, in fresh memory, and the process kept both (a
            # rebuilt screen grew the UI by 1-3 MB each time; docs/PERFORMANCE.md).
            # Freed now, the new ones reuse it. The app freezes what it made at start
            # (KioskApp.on_start), so this looks at the screens' objects only (~8 ms).
            gc.collect()
        self.build(ctx)
        self.add_message()

    def add_message(self) -> None:
        """The message line, under the page (a keypad screen draws it beside its pad)."""
        if self.message:
            self.page.add_widget(Txt(text=self.message, tone=list(RED)))

    def hand(self, **values: Any) -> None:
        """Input handed over by another screen (a reply to show): set, and build again."""
        for name, value in values.items():
            setattr(self, name, value)
        self.stale = True

    def redraw(self) -> None:
        """The screen's own input changed: build it again."""
        self.stale = True
        if self.ctx is not None:
            self.draw(self.ctx)

    def say(self, message: str) -> None:
        """Show ``message`` (a refusal, a keypad rule) on this screen."""
        self.message = message
        self.redraw()

    # -- helpers for build() ----------------------------------------------------------------
    def add(self, *widgets: Any) -> None:
        for w in widgets:
            self.page.add_widget(w)


def title(text: str, tone: tuple[float, ...] = BLUE, role: str = "title") -> Txt:
    """A screen's heading; a ``hero`` one (a result, a state) is centred."""
    return Txt(text=text, role=role, tone=list(tone),
               halign="center" if role == "hero" else "left")


def body(text: str, tone: tuple[float, ...] | None = None, role: str = "body",
         halign: str = "left") -> Txt:
    label = Txt(text=text, role=role, halign=halign)
    if tone is not None:
        label.tone = list(tone)
    return label


def small(text: str) -> Txt:
    return Txt(text=text, role="small", tone=list(GREY))


def amount(text: str, role: str = "amount") -> Fit:
    return Fit(text=text, role=role)


def act(text: str, on_press: Callable[[], None], name: str, kind: str = "primary") -> Act:
    button = Act(text=text, kind=kind, name=name)
    button.bind(on_release=lambda *_: on_press())
    return button


def tiles(items: Iterable[tuple[str, str, Callable[[], None]]], cols: int,
          kind: str = "primary", **kwargs: Any) -> GridLayout:
    grid = GridLayout(cols=cols, spacing=dp(10), **kwargs)
    for name, text, on_press in items:
        tile = Tile(text=text, name=name, kind=kind)
        tile.bind(on_release=lambda *_b, f=on_press: f())
        grid.add_widget(tile)
    return grid


def pairs(rows: Iterable[tuple[str, str]], key_width: float = 0.34,
          role: str = "body") -> BoxLayout:
    box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4))
    box.bind(minimum_height=box.setter("height"))
    for key, value in rows:
        line = BoxLayout(orientation="horizontal", size_hint_y=None)
        k = Txt(text=key, role=role, tone=list(GREY), size_hint_x=key_width)
        v = Txt(text=value, role=role)
        line.add_widget(k)
        line.add_widget(v)
        line.bind(minimum_height=line.setter("height"))
        k.bind(height=lambda _w, _h, ln=line, a=k, b=v: setattr(ln, "height", max(a.height,
                                                                                  b.height)))
        v.bind(height=lambda _w, _h, ln=line, a=k, b=v: setattr(ln, "height", max(a.height,
                                                                                  b.height)))
        box.add_widget(line)
    return box


def panel(*widgets: Any, bg: tuple[float, ...] | None = None, **kwargs: Any) -> Panel:
    kwargs.setdefault("padding", dp(14))
    kwargs.setdefault("spacing", dp(6))
    p = Panel(orientation="vertical", **kwargs)
    if bg is not None:
        p.bg = list(bg)
    for w in widgets:
        p.add_widget(w)
    return p


def notice_text(snap: StateSnapshot | None, lang: str) -> str:
    notice = snap.notice if snap is not None else None
    if notice is None:
        return ""
    return notice.message_zh if lang == "zh" else notice.message


__all__ += ["act", "amount", "body", "buttons", "notice_text", "pairs", "panel", "small",
            "spacer", "tiles", "title"]
