"""The issuers' cities by city code (``config/cities.toml``): data, read on request."""

from __future__ import annotations

import tomllib
from pathlib import Path

__all__ = ["CITIES_FILE", "load_cities"]

CITIES_FILE = Path(__file__).with_name("cities.toml")


def load_cities(path: Path = CITIES_FILE) -> dict[str, tuple[str, str]]:
    """City code → (中文 name, English name); ValueError for a malformed file."""
    with path.open("rb") as fh:
        table = tomllib.load(fh).get("cities")
    if not isinstance(table, dict):
        raise ValueError(f"{path}: no [cities] table")
    cities: dict[str, tuple[str, str]] = {}
    for code, names in table.items():
        if not (code.isascii() and code.isdigit() and len(code) == 4) or \
                not (isinstance(names, list) and len(names) == 2
                     and all(isinstance(n, str) and n for n in names)):
            raise ValueError(f"{path}: {code!r} must be 4 digits = [\"中文\", \"English\"]")
        cities[code] = (names[0], names[1])
    return cities
