"""The kiosk's building blocks; their look is in ``kiosk/kiosk.kv``.

Sizes are in dp and sp (kv), so the same layout holds on the 7" 800×480 panel
and on larger ones; every font size is multiplied by the app's ``text_scale``
(the large-text switch). Texts wrap inside their widget and the widget grows
to the text's height; amounts and card numbers are one line and shrink to fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from kivy.metrics import dp, sp
from kivy.properties import ListProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

__all__ = ["AMBER", "BLUE", "CARD", "DARK", "GREEN", "GREY", "PAGE", "RED", "SIZES", "WHITE",
           "Act", "Fit", "Key", "Keypad", "Panel", "Tile", "Txt", "buttons", "spacer"]

BLUE = (0.043, 0.239, 0.569, 1)    # header, primary buttons
DARK = (0.13, 0.15, 0.19, 1)       # body text
GREY = (0.36, 0.39, 0.44, 1)       # secondary text
RED = (0.75, 0.13, 0.13, 1)        # warnings
GREEN = (0.05, 0.50, 0.25, 1)      # success
WHITE = (1, 1, 1, 1)
PAGE = (0.95, 0.96, 0.97, 1)
CARD = (1, 1, 1, 1)
AMBER = (1.0, 0.95, 0.80, 1)
LIGHT = (0.86, 0.88, 0.91, 1)

# Font sizes (sp, before the large-text scale) by role. Few sizes on purpose: Kivy's
# SDL2 text provider opens the font once per size (a FreeType face, ~300 KB for the
# CJK font, kept up to 64 of them), so every size on screen costs memory; the header,
# the language button and body text share one size (they were 22, 18 and 19).
SIZES = {"hero": 46, "title": 28, "body": 20, "small": 16, "amount": 52, "key": 28,
         "button": 20, "tile": 20}
# What a one-line amount shrinks to: the largest of these that fits (sizes already
# open, and three small ones), not any size: each shrink to a new size opened the
# font once more, and a long-running kiosk filled the provider's 64 faces.
FIT_STEPS = (10, 12, 14, *sorted(set(SIZES.values())))


class Panel(BoxLayout):  # type: ignore[misc]
    """A BoxLayout with a solid, rounded background (kv draws it)."""

    bg = ListProperty(list(CARD))
    radius = NumericProperty(dp(10))


class Txt(Label):  # type: ignore[misc]
    """Text that wraps at its width and is as tall as it needs.

    Kivy makes a wrapped label's texture as wide as the width it wraps at — the
    window's width for most lines of text, ~130 KB of texture (kept in memory by a
    software GL) for "Tap your card". Once laid out at the widget's width, the text
    is laid out again at its longest line's width: the same lines, a texture that
    wide; kv draws it at the widget's left edge (or centred, by ``halign``)."""

    role = OptionProperty("body", options=list(SIZES))
    tone = ListProperty(list(DARK))

    def on_texture_size(self, _: Any, size: tuple[float, float]) -> None:
        width = float(self.width)
        wrap = getattr(self, "text_size")[0]  # noqa: B009 (a Kivy property mypy cannot type)
        used = math.ceil(float(self._label._internal_size[0])) + 1  # the longest line
        if wrap is not None and wrap >= width - 0.5 and used < wrap - 1:
            self.text_size = (used, None)

    def on_width(self, *_: Any) -> None:
        self.text_size = (self.width, None)  # lay out at the widget's width again

    def on_text(self, *_: Any) -> None:
        self.text_size = (self.width, None)

    def on_font_size(self, *_: Any) -> None:
        self.text_size = (self.width, None)


class Fit(Label):  # type: ignore[misc]
    """One line (an amount, a card number): its font shrinks until it fits its width."""

    role = OptionProperty("amount", options=list(SIZES))
    tone = ListProperty(list(BLUE))

    def on_texture_size(self, _: Any, size: tuple[float, float]) -> None:
        font = float(getattr(self, "font_size"))  # noqa: B009 (a Kivy property mypy cannot type)
        if self.width > dp(10) and size[0] > self.width and font > sp(FIT_STEPS[0]):
            wanted = font * self.width / size[0] * 0.97
            self.font_size = max([sp(FIT_STEPS[0])] + [
                sp(s) * k for s in FIT_STEPS for k in (1.0, _scale())
                if sp(s) * k <= wanted])

    def on_size(self, *_: Any) -> None:
        self.refit()

    def on_text(self, *_: Any) -> None:
        self.refit()

    def refit(self) -> None:
        self.font_size = sp(SIZES[self.role]) * _scale()


def _scale() -> float:
    """The app's text scale (1.0, or 1.3 with large text)."""
    from kivy.app import App
    app = App.get_running_app()
    return float(getattr(app, "text_scale", 1.0)) if app else 1.0


class Act(Button):  # type: ignore[misc]
    """A large touch target; ``kind`` picks its colours."""

    kind = OptionProperty("primary", options=["primary", "secondary", "danger"])
    name = StringProperty("")  # a stable name for the probe and the tests


class Tile(Act):
    """A service tile on the home screen (and other choice grids)."""


class Key(Act):
    """A keypad key."""


class Keypad(GridLayout):  # type: ignore[misc]
    """Digits 1-9, then Clear, 0, Delete (an ID keypad has X in place of Clear's row)."""

    def __init__(self, on_key: Callable[[str], None], *, lang: str, extra: str = "",
                 **kwargs: Any) -> None:
        super().__init__(cols=3, **kwargs)
        from kiosk.i18n import t
        keys: list[tuple[str, str]] = [(d, d) for d in "123456789"]
        keys += [(extra, extra) if extra else ("clear", t("key_clear", lang)),
                 ("0", "0"), ("del", t("key_del", lang))]
        for key, label in keys:
            button = Key(text=label, name=f"key_{key}")
            button.bind(on_release=lambda _b, k=key: on_key(k))
            self.add_widget(button)


def spacer() -> Widget:
    return Widget()


def buttons(*acts: Widget, left: bool = False) -> BoxLayout:
    """A row of action buttons at the bottom of a page (right-aligned)."""
    row = BoxLayout(orientation="horizontal", size_hint_y=None, height=dp(60), spacing=dp(12))
    if not left:
        row.add_widget(Widget())
    for act in acts:
        row.add_widget(act)
    if left:
        row.add_widget(Widget())
    return row
