"""The kiosk's secret as its file holds it now: a rotation without downtime.

The central side rotates a kiosk's secret with an overlap (``citycard-central
rotate-secret``): both the old and the new secret are accepted until the overlap
ends. kioskd picks the new one up by itself: before each signed request (and each
PIN block) :meth:`KioskSecret.current` compares the secret file's ``stat`` (inode,
size, modification and change times) with the one it last read — a new secret is
written to a new file and renamed over the old one, so the inode changes — and
re-reads the file when it differs. A file that is unfit (mode, length) or unreadable
at that moment leaves the secret in use as it was, logged once per change. No
restart, no signal: docs/operations.md, "Rotating a kiosk secret".
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from daemon.central import SecretFileError, read_secret
from protocol.signing import KioskAuth

__all__ = ["KioskSecret"]

logger = logging.getLogger(__name__)

_Stamp = tuple[int, int, int, int]


def _stamp(path: Path) -> _Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class KioskSecret:
    """The secret of ``path``, re-read when the file changes (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen = _stamp(path)
        self._secret = read_secret(path)  # at start-up an unfit file stops kioskd
        self.changes = 0

    def current(self) -> bytes:
        stamp = _stamp(self.path)
        with self._lock:
            if stamp == self._seen:
                return self._secret
            self._seen = stamp
            try:
                secret = read_secret(self.path)
            except (OSError, SecretFileError) as exc:
                logger.warning("the kiosk secret file changed but cannot be used (%s); "
                               "still signing with the secret read before", exc)
                return self._secret
            if secret != self._secret:
                self._secret = secret
                self.changes += 1
                logger.info("the kiosk secret file holds a new secret: signing with it "
                            "from now on")
            return self._secret

    def auth(self, kiosk_id: str) -> KioskAuth:
        """The ``requests`` auth signing as ``kiosk_id`` with the current secret."""
        return KioskAuth(kiosk_id, self.current)

    def __repr__(self) -> str:  # never the secret
        return f"<KioskSecret {self.path}>"
