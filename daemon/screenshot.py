"""Remote support: a PNG of what the cardholder sees, taken by the running UI.

kioskd never touches the display (the UI runs as its own user, on its own
DRM device), so it asks the UI::

    kioskctl screenshot ──admin.sock──▶ POST /v1/admin/screenshot
        kioskd publishes a ``screenshot`` event {request_id} on the event stream
    UI (follows /v1/events) captures its window ──kiosk.sock──▶ POST /v1/screenshot
        {request_id, png_base64}; the admin call answers with the PNG

What the UI may send is bounded: only an answer to the request now waiting
(its id is 128 random bits, and it is good once), a real PNG (signature and
header read here, size within :data:`MAX_SIDE`) of at most
:data:`MAX_PNG_BYTES`. One screenshot is taken at a time; a request nobody
answers within its timeout (no UI connected, a UI hung) is refused with
``ui_no_answer`` and its id forgotten.
"""

from __future__ import annotations

import logging
import secrets
import struct
import threading
import time
from dataclasses import dataclass

from daemon.errors import BadInput, Refused, Unavailable
from daemon.events import EventBus
from protocol.errors import LOCAL

__all__ = ["MAX_PNG_BYTES", "MAX_SIDE", "Screenshot", "ScreenshotDesk", "png_size"]

logger = logging.getLogger(__name__)

MAX_PNG_BYTES = 8 * 1024 * 1024
MAX_SIDE = 8192
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Screenshot:
    png: bytes
    width: int
    height: int
    taken_at: float


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header; :class:`ValueError` if it is not one."""
    if len(data) < 33 or not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG image")
    length, kind, width, height = struct.unpack(">I4sII", data[8:24])
    if kind != b"IHDR" or length != 13:
        raise ValueError("a PNG without its header chunk")
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise ValueError(f"a PNG of {width}×{height} pixels")
    return width, height


def _no_answer(timeout: float) -> Unavailable:
    entry = LOCAL["ui_no_answer"]
    return Unavailable("ui_no_answer", entry.message, entry.message_zh,
                       {"timeout_s": timeout})


def _bad(why: str) -> BadInput:
    return BadInput("bad_screenshot", f"The screenshot is {why}.",
                    LOCAL["bad_screenshot"].message_zh)


class ScreenshotDesk:
    """Asks the UI for a screenshot and hands back its answer."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._one_at_a_time = threading.Lock()
        self._lock = threading.Lock()
        self._waiting: str | None = None  # the request id the UI may answer
        self._answered = threading.Event()
        self._answer: Screenshot | None = None

    def take(self, timeout: float) -> Screenshot:
        """Ask the UI; raise ``ui_no_answer`` if it does not answer within ``timeout``."""
        deadline = time.monotonic() + timeout
        if not self._one_at_a_time.acquire(timeout=timeout):
            raise _no_answer(timeout)
        try:
            request_id = secrets.token_hex(16)
            with self._lock:
                self._waiting, self._answer = request_id, None
                self._answered.clear()
            self._bus.publish("screenshot", {"request_id": request_id})
            logger.info("screenshot asked of the UI")
            self._answered.wait(max(0.0, deadline - time.monotonic()))
            with self._lock:
                answer, self._waiting = self._answer, None
            if answer is None:
                logger.warning("no UI answered the screenshot request within %.0f s", timeout)
                raise _no_answer(timeout)
            logger.info("screenshot %d×%d, %d bytes", answer.width, answer.height,
                        len(answer.png))
            return answer
        finally:
            self._one_at_a_time.release()

    def deliver(self, request_id: str, png: bytes) -> None:
        """The UI's answer to the request now waiting."""
        if len(png) > MAX_PNG_BYTES:
            raise _bad(f"over {MAX_PNG_BYTES} bytes")
        try:
            width, height = png_size(png)
        except ValueError as exc:
            raise _bad(str(exc)) from None
        with self._lock:
            # bytes: compare_digest refuses a str that is not ASCII (TypeError)
            if self._waiting is None or not secrets.compare_digest(
                    request_id.encode(), self._waiting.encode()):
                entry = LOCAL["screenshot_unknown"]
                raise Refused("screenshot_unknown", entry.message, entry.message_zh)
            self._answer = Screenshot(png, width, height, time.time())
            self._waiting = None  # good once
            self._answered.set()
