"""The reference central API server (the card issuer's backend) and the shared signing code."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("citycard-kiosk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
