"""Facts about this installation that every entry point shares."""

from __future__ import annotations

__all__ = ["package_version"]


def package_version() -> str:
    # importlib.metadata is imported on use: it costs kioskctl ~18 ms at start,
    # and only `kioskctl version` and kioskd's start ask.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("citycard-kiosk")
    except PackageNotFoundError:
        return "0+unknown"
