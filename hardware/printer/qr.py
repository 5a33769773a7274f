"""The QR payload on every receipt: the reference plus a short MAC.

``CC1|<kiosk id>|<reference>|<mac>``, where ``mac`` is the first 8 bytes of
HMAC-SHA256 over ``CC1|<kiosk id>|<reference>`` with the kiosk's receipt key,
in hex. A service outlet or the central side scans it, recomputes the MAC and
knows the slip was printed by that kiosk for that reference — a photocopied
reference with a made-up code does not verify.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["qr_payload", "verify_qr_payload"]

VERSION = "CC1"
MAC_BYTES = 8


def _mac(key: bytes, kiosk_id: str, reference: str) -> str:
    message = f"{VERSION}|{kiosk_id}|{reference}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[: 2 * MAC_BYTES].upper()


def qr_payload(reference: str, *, kiosk_id: str, key: bytes) -> str:
    if "|" in reference or "|" in kiosk_id:
        raise ValueError("references and kiosk ids cannot contain '|'")
    if not key:
        raise ValueError("the receipt MAC key is empty")
    return f"{VERSION}|{kiosk_id}|{reference}|{_mac(key, kiosk_id, reference)}"


def verify_qr_payload(payload: str, key: bytes) -> tuple[str, str] | None:
    """``(kiosk_id, reference)`` if the MAC is right, else None."""
    parts = payload.split("|")
    if len(parts) != 4 or parts[0] != VERSION:
        return None
    _, kiosk_id, reference, mac = parts
    if not hmac.compare_digest(mac.upper(), _mac(key, kiosk_id, reference)):
        return None
    return kiosk_id, reference
