"""Read a TOML file against :mod:`config.schema`, reporting every problem at once.

Each problem names the file, the dotted key and the reason, and suggests the
nearest known key for a misspelling. Secrets are never echoed back.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.schema import Config

# Where kioskd, kioskctl and the UI read the kiosk's config unless told otherwise.
DEFAULT_CONFIG = Path("/etc/citycard/kioskd.toml")


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a config file."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(value: Any, tp: Any, base: Path) -> Any:
    """Coerce a TOML value to ``tp`` or raise ValueError with a reason."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(value, args[0], base)
    if tp is bool:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, not {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number, not {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {value!r}")
        return value
    if tp is Path:
        if not isinstance(value, str) or not value:
            raise ValueError(f"must be a non-empty path string, not {value!r}")
        path = Path(value).expanduser()
        return path if path.is_absolute() else (base / path)
    if origin is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ValueError(f"must be a list, not {value!r}")
        return [_convert(v, item, base) for v in value]
    if origin is dict:
        _, item = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ValueError(f"must be a table, not {value!r}")
        return {str(k): _convert(v, item, base) for k, v in value.items()}
    raise TypeError(f"schema type {_type_name(tp)} is not supported")  # a bug in schema.py


def _constraint_problem(value: Any, meta: Mapping[str, Any]) -> str | None:
    if value is None:
        return None
    if "choices" in meta and value not in meta["choices"]:
        shown = ", ".join(oct(c) if isinstance(c, int) and c >= 0o600 else repr(c)
                          for c in meta["choices"])
        return f"must be one of {shown}, not {value!r}"
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and value < lo:
        return f"must be at least {lo}, not {value!r}"
    if hi is not None and value > hi:
        return f"must be at most {hi}, not {value!r}"
    check = meta.get("check")
    if check is not None:
        problem: str | None = check(value)
        return problem
    return None


def _build_section(cls: type, raw: Any, name: str, file: str, base: Path,
                   problems: list[ConfigProblem]) -> Any:
    if not isinstance(raw, dict):
        problems.append(ConfigProblem(file, name, "must be a table ([section])"))
        return cls()
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{name}.{key}"
        if key not in fields:
            problems.append(ConfigProblem(file, dotted, "unknown key" + _suggest(key, fields)))
            continue
        try:
            converted = _convert(value, hints[key], base)
        except ValueError as exc:
            problems.append(ConfigProblem(file, dotted, str(exc)))
            continue
        problem = _constraint_problem(converted, fields[key].metadata)
        if problem:
            problems.append(ConfigProblem(file, dotted, problem))
            continue
        values[key] = converted
    return cls(**values)


def _cross_checks(cfg: Config, file: str) -> list[ConfigProblem]:
    problems = []
    cash = cfg.cash
    if not cash.pulse_min_ms < cash.pulse_max_ms < cash.train_gap_ms:
        problems.append(ConfigProblem(
            file, "cash.pulse_min_ms",
            "must hold pulse_min_ms < pulse_max_ms < train_gap_ms "
            f"(now {cash.pulse_min_ms} / {cash.pulse_max_ms} / {cash.train_gap_ms})"))
    pins = [p for p in (cash.pulse_pin, cash.inhibit_pin, cash.jam_pin, cash.cashbox_pin)
            if p is not None]
    if len(set(pins)) != len(pins):
        problems.append(ConfigProblem(file, "cash.pulse_pin", "two cash signals share a pin"))
    if (cfg.central.client_cert is None) != (cfg.central.client_key is None):
        problems.append(ConfigProblem(file, "central.client_cert",
                                      "client_cert and client_key go together"))
    if cfg.limits.single_load_max_fen > cfg.limits.purse_cap_fen:
        problems.append(ConfigProblem(file, "limits.single_load_max_fen",
                                      "must not exceed limits.purse_cap_fen"))
    return problems


def parse_config(data: Mapping[str, Any], *, file: str = "<config>",
                 base: Path | None = None) -> Config:
    """Build a :class:`Config` from already-parsed TOML data."""
    base = base or Path.cwd()
    problems: list[ConfigProblem] = []
    sections = {f.name: f for f in dataclasses.fields(Config) if f.name != "source"}
    hints = typing.get_type_hints(Config)
    built: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in sections:
            problems.append(ConfigProblem(file, name, "unknown section" + _suggest(name, sections)))
            continue
        built[name] = _build_section(hints[name], raw, name, file, base, problems)
    cfg = Config(**built)
    if not problems:
        problems = _cross_checks(cfg, file)
    if problems:
        raise ConfigError(problems)
    return cfg


def load_config(path: Path | str) -> Config:
    """Read and validate ``path``; raise :class:`ConfigError` listing every problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), "-", f"cannot read: {exc.strerror}")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([ConfigProblem(str(path), "-", f"not valid TOML: {exc}")]) from exc
    cfg = parse_config(data, file=str(path), base=path.resolve().parent)
    return dataclasses.replace(cfg, source=path)
