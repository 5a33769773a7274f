"""Small Kivy building blocks with the kiosk's look: coloured panels, text, buttons."""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Rectangle, RoundedRectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label

__all__ = ["BLUE", "DARK", "GREY", "RED", "WHITE", "Panel", "action", "text"]

BLUE = (0.043, 0.239, 0.569, 1)    # header, primary buttons
DARK = (0.13, 0.15, 0.19, 1)       # body text
GREY = (0.42, 0.45, 0.50, 1)       # secondary text
RED = (0.75, 0.13, 0.13, 1)        # warnings
GREEN = (0.05, 0.50, 0.25, 1)      # success
WHITE = (1, 1, 1, 1)
PAGE = (0.95, 0.96, 0.97, 1)
CARD = (1, 1, 1, 1)
AMBER = (1.0, 0.96, 0.85, 1)


class Panel(BoxLayout):  # type: ignore[misc]
    """A BoxLayout with a solid (optionally rounded) background."""

    def __init__(self, colour: tuple[float, ...], radius: float = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.canvas.before:
            Color(*colour)
            self._bg = (RoundedRectangle(radius=[radius]) if radius else Rectangle())
        self.bind(pos=self._layout, size=self._layout)

    def _layout(self, *_: Any) -> None:
        self._bg.pos, self._bg.size = self.pos, self.size


def text(value: str, size: float = 28, colour: tuple[float, ...] = DARK, *,
         bold: bool = False, halign: str = "left", height: float | None = None,
         wrap: bool = True, **kwargs: Any) -> Label:
    """A label; ``height`` None means it takes its share of the layout. Amounts and
    card numbers pass ``wrap=False``: shrunk to fit, never broken across lines."""
    label = Label(text=value, font_size=size, color=colour, bold=bold, halign=halign,
                  valign="middle", **kwargs)
    if wrap:
        label.bind(size=lambda w, s: setattr(w, "text_size", (s[0], None)))
    else:
        label.bind(size=lambda w, s: setattr(w, "text_size", (s[0], s[1])))
        label.shorten = False
        label.bind(texture_size=_fit)
    if height is not None:
        label.size_hint_y = None
        label.height = height
    return label


def _fit(label: Label, texture_size: tuple[float, float]) -> None:
    """Shrink a one-line label's font until its text fits its width."""
    if label.width > 10 and texture_size[0] > label.width and label.font_size > 12:
        label.font_size = max(12, label.font_size * label.width / texture_size[0] * 0.98)


def action(value: str, on_press: Any, *, primary: bool = True, width: float = 320,
           size: float = 30, height: float = 96) -> Button:
    """A large touch target."""
    button = Button(text=value, font_size=size, size_hint=(None, None), size=(width, height),
                    background_normal="", color=WHITE if primary else DARK,
                    background_color=BLUE if primary else (0.86, 0.88, 0.91, 1))
    button.bind(on_press=lambda *_: on_press())
    return button
