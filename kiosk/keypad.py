"""What a keypad accepts, checked as the person types (no Kivy here).

An :class:`Entry` holds the characters typed so far for one field: it takes a
key only while the field has room and the key is allowed, so a field never
holds what the daemon would refuse; :meth:`Entry.paste` (a test pasting
letters, a future scanner) is checked the same way and refused whole.
Refusals are message keys of :mod:`kiosk.i18n`.
"""

from __future__ import annotations

__all__ = ["Entry"]

DIGITS = frozenset("0123456789")


class Entry:
    def __init__(self, min_len: int, max_len: int, *, masked: bool = False,
                 extra: str = "") -> None:
        self.min_len, self.max_len = min_len, max_len
        self.masked = masked
        self.allowed = DIGITS | frozenset(extra)
        self.value = ""

    def press(self, key: str) -> str | None:
        """A key: a digit (or an allowed extra such as the X of an ID), ``del`` or
        ``clear``. The answer is None, or the message key of the refusal."""
        if key == "del":
            self.value = self.value[:-1]
            return None
        if key == "clear":
            self.value = ""
            return None
        if key not in self.allowed:
            return "keypad_digits_only"
        if len(self.value) >= self.max_len:
            return "keypad_too_long"
        self.value += key
        return None

    def paste(self, text: str) -> str | None:
        """Several characters at once: all taken, or none (the field is unchanged)."""
        if not text or not set(text) <= self.allowed:
            return "keypad_digits_only"
        if len(self.value) + len(text) > self.max_len:
            return "keypad_too_long"
        self.value += text
        return None

    def complete(self) -> str | None:
        """None when the field may be sent, else the refusal's message key."""
        if len(self.value) < self.min_len:
            return "keypad_too_short"
        return None

    def shown(self) -> str:
        return "●" * len(self.value) if self.masked else self.value

    def reset(self) -> None:
        self.value = ""
