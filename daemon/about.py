"""Facts about this installation that every entry point shares."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["DEFAULT_CONFIG", "package_version"]

DEFAULT_CONFIG = Path("/etc/citycard/kioskd.toml")


def package_version() -> str:
    try:
        return version("citycard-kiosk")
    except PackageNotFoundError:
        return "0+unknown"
