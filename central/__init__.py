"""The reference central API server (the card issuer's backend); what it shares with
the kiosk (signing, PIN blocks, the card's cryptography, error codes) is :mod:`protocol`."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("citycard-central")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
