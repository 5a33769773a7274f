"""Facts about this installation that every entry point shares."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["package_version"]


def package_version() -> str:
    try:
        return version("citycard-kiosk")
    except PackageNotFoundError:
        return "0+unknown"
