"""The risk rules' thresholds: one frozen dataclass, validated with every problem at once.

Read from the ``[risk]`` table of a TOML file (``citycard-central serve
--risk-config``) or built in code; :func:`parse_risk` reports each bad key by
its dotted name with the reason, and a "did you mean" for a misspelling, the way
the kiosk's :mod:`config.loader` does (the central side may import only
``protocol``, so the few lines are not shared; see docs/decisions.md).
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RULES", "RiskConfigError", "RiskSettings", "load_risk", "parse_risk"]

#: Every rule, by the name its alerts carry.
RULES = ("load_velocity_hour", "load_velocity_day", "pin_failures", "tears_refunds",
         "kiosk_cash_owed", "lost_card_use", "heartbeat_stopped")

_DAY = 86_400


def _range(lo: int, hi: int) -> dict[str, Any]:
    return {"min": lo, "max": hi}


@dataclass(frozen=True)
class RiskSettings:
    """Thresholds of the risk rules (a rule fires when a count or sum *reaches* its
    threshold). Windows are in seconds; amounts in fen."""

    load_hour_count: int = field(default=5, metadata=_range(1, 1000))
    load_hour_fen: int = field(default=100_000, metadata=_range(1, 100_000_000))
    load_day_count: int = field(default=12, metadata=_range(1, 10_000))
    load_day_fen: int = field(default=200_000, metadata=_range(1, 100_000_000))
    pin_window_s: int = field(default=3600, metadata=_range(60, 7 * _DAY))
    pin_failures: int = field(default=5, metadata=_range(2, 1000))
    pin_kiosks: int = field(default=2, metadata=_range(1, 100))
    tear_window_s: int = field(default=_DAY, metadata=_range(60, 30 * _DAY))
    tear_count: int = field(default=3, metadata=_range(1, 1000))
    owed_fen: int = field(default=1, metadata=_range(1, 100_000_000))
    heartbeat_silence_s: int = field(default=300, metadata=_range(30, 7 * _DAY))
    sweep_every_s: int = field(default=60, metadata=_range(1, 3600))
    # A new hit of a rule on a subject with an unacknowledged alert younger than this
    # adds to that alert (hits, last_at) instead of raising another.
    realert_after_s: int = field(default=3600, metadata=_range(0, 30 * _DAY))
    # A high-severity alert on an active card blacklists it pending review.
    auto_blacklist: bool = True
    disabled: tuple[str, ...] = field(default=(), metadata={"choices": RULES})

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise RiskConfigError(problems)

    def enabled(self, rule: str) -> bool:
        return rule not in self.disabled


class RiskConfigError(ValueError):
    """Bad thresholds; ``problems`` lists every ``(key, reason)``."""

    def __init__(self, problems: Iterable[tuple[str, str]], file: str = "") -> None:
        self.problems = list(problems)
        prefix = f"{file}: " if file else ""
        super().__init__("\n".join(f"{prefix}{key}: {why}" for key, why in self.problems))


def _check(name: str, value: Any, meta: Mapping[str, Any], kind: Any) -> str | None:
    if kind is bool:
        return None if isinstance(value, bool) else f"must be true or false, not {value!r}"
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, not {value!r}"
        lo, hi = meta["min"], meta["max"]
        if not lo <= value <= hi:
            return f"must be between {lo} and {hi}, not {value!r}"
        return None
    # the rule list
    if not isinstance(value, tuple | list) or not all(isinstance(v, str) for v in value):
        return f"must be a list of rule names, not {value!r}"
    unknown = [v for v in value if v not in RULES]
    if unknown:
        return (f"unknown rule {unknown[0]!r}" + _suggest(unknown[0], RULES)
                + f"; rules are {', '.join(RULES)}")
    return None


def _problems(s: RiskSettings) -> list[tuple[str, str]]:
    problems = []
    for f in dataclasses.fields(s):
        kind = {"bool": bool, "int": int}.get(str(f.type), tuple)
        why = _check(f.name, getattr(s, f.name), f.metadata, kind)
        if why:
            problems.append((f"risk.{f.name}", why))
    if not problems:
        if s.load_hour_count > s.load_day_count:
            problems.append(("risk.load_hour_count", "must not exceed risk.load_day_count"))
        if s.load_hour_fen > s.load_day_fen:
            problems.append(("risk.load_hour_fen", "must not exceed risk.load_day_fen"))
    return problems


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_risk(data: Mapping[str, Any], *, file: str = "<risk>") -> RiskSettings:
    """Settings from parsed TOML (``{"risk": {...}}``); :class:`RiskConfigError` lists
    every problem, unknown keys included."""
    problems: list[tuple[str, str]] = []
    for key in data:
        if key != "risk":
            problems.append((key, "unknown section" + _suggest(key, ["risk"])))
    raw = data.get("risk", {})
    if not isinstance(raw, dict):
        raise RiskConfigError([("risk", "must be a table ([risk])")], file)
    names = {f.name for f in dataclasses.fields(RiskSettings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in names:
            problems.append((f"risk.{key}", "unknown key" + _suggest(key, names)))
        else:
            values[key] = tuple(value) if key == "disabled" and isinstance(value, list) else value
    try:
        built = RiskSettings(**values)
    except RiskConfigError as exc:
        problems += exc.problems
    if problems:
        raise RiskConfigError(problems, file)
    return built


def load_risk(path: Path) -> RiskSettings:
    """Read and validate a risk TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RiskConfigError([("-", f"cannot read: {exc.strerror}")], str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise RiskConfigError([("-", f"not valid TOML: {exc}")], str(path)) from exc
    return parse_risk(data, file=str(path))
