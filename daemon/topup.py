"""The top-up arithmetic: limits before the first note, headroom after each.

Pure functions, so the rules a cardholder meets are tested on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.schema import LimitsSection

__all__ = ["Limits", "headroom"]


@dataclass(frozen=True)
class Limits:
    """The load limits for one card now: the lower of the kiosk's config and the
    central side's figures (the central side is authoritative; the kiosk may be
    stricter)."""

    single_max_fen: int
    daily_remaining_fen: int
    purse_cap_fen: int

    @classmethod
    def combine(cls, config: LimitsSection, central: dict[str, int] | None) -> Limits:
        central = central or {}
        return cls(
            min(config.single_load_max_fen, central.get("single_max_fen", 1 << 62)),
            min(config.daily_load_max_fen, central.get("daily_remaining_fen", 1 << 62)),
            min(config.purse_cap_fen, central.get("purse_cap_fen", 1 << 62)))

    def to_json(self) -> dict[str, int]:
        return {"single_max_fen": self.single_max_fen,
                "daily_remaining_fen": self.daily_remaining_fen,
                "purse_cap_fen": self.purse_cap_fen}


def headroom(limits: Limits, balance_fen: int, inserted_fen: int) -> int:
    """How much more cash this top-up may take (never negative)."""
    room = min(limits.single_max_fen, limits.daily_remaining_fen,
               limits.purse_cap_fen - balance_fen)
    return max(0, room - inserted_fen)
