"""Remote support's screenshot desk and its two routes: the admin call waits for
the UI's answer to the request it published; the UI may answer only that
request, once, with a real PNG within bounds; nobody answering is ui_no_answer."""

from __future__ import annotations

import base64
import json
import socket
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from daemon.api.http import UnixHttpServer
from daemon.api.routes import Services, build_routers
from daemon.errors import BadInput, Refused, Unavailable
from daemon.events import Event, EventBus
from daemon.screenshot import MAX_PNG_BYTES, ScreenshotDesk, png_size
from daemon.state import KioskState
from protocol.localclient import LocalApiError, LocalClient


def png(width: int, height: int) -> bytes:
    """A real (tiny, grey) PNG of the given size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class FakeUi:
    """Follows the bus as the UI follows the event stream; answers with ``answer``."""

    def __init__(self, bus: EventBus, desk: ScreenshotDesk, answer: bytes | None) -> None:
        self.desk, self.answer = desk, answer
        self.asked: list[str] = []
        self.errors: list[Exception] = []
        bus.add_listener(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.type != "screenshot":
            return
        self.asked.append(event.data["request_id"])
        if self.answer is not None:
            threading.Thread(target=self._answer, args=(event.data["request_id"],)).start()

    def _answer(self, request_id: str) -> None:
        try:
            assert self.answer is not None
            self.desk.deliver(request_id, self.answer)
        except Exception as exc:
            self.errors.append(exc)


def test_png_size_reads_the_header() -> None:
    assert png_size(png(1280, 800)) == (1280, 800)
    for bad in (b"", b"GIF89a" + b"\0" * 40, png(3, 2)[:20], png(0, 5), png(9000, 5)):
        with pytest.raises(ValueError):
            png_size(bad)


def test_the_ui_answers_the_request_it_was_shown() -> None:
    bus = EventBus()
    desk = ScreenshotDesk(bus)
    ui = FakeUi(bus, desk, png(64, 40))
    shot = desk.take(timeout=30)
    assert (shot.width, shot.height, shot.png) == (64, 40, png(64, 40))
    assert len(ui.asked) == 1 and len(ui.asked[0]) == 32 and ui.errors == []
    desk.take(timeout=30)
    assert len(set(ui.asked)) == 2  # a fresh id each time


def test_nobody_answering_is_ui_no_answer_and_a_late_answer_is_refused() -> None:
    bus = EventBus()
    desk = ScreenshotDesk(bus)
    ui = FakeUi(bus, desk, None)
    with pytest.raises(Unavailable) as err:
        desk.take(timeout=0.2)
    assert (err.value.code, err.value.details) == ("ui_no_answer", {"timeout_s": 0.2})
    with pytest.raises(Refused) as late:
        desk.deliver(ui.asked[0], png(4, 4))
    assert late.value.code == "screenshot_unknown"


def test_only_the_waiting_request_once_and_only_a_png_within_bounds() -> None:
    bus = EventBus()
    desk = ScreenshotDesk(bus)
    answers: dict[str, Exception | None] = {}

    def ui(event: Event) -> None:
        if event.type != "screenshot":
            return
        rid = event.data["request_id"]
        for name, request_id, data in (
                ("wrong id", "0" * 32, png(4, 4)), ("not ascii", "请求" * 16, png(4, 4)),
                ("not a png", rid, b"<html>" * 10),
                ("too big", rid, png(4, 4) + b"\0" * MAX_PNG_BYTES),
                ("right", rid, png(4, 4)), ("twice", rid, png(4, 4))):
            try:
                desk.deliver(request_id, data)
                answers[name] = None
            except (BadInput, Refused) as exc:
                answers[name] = exc

    bus.add_listener(ui)
    assert desk.take(timeout=30).width == 4
    codes = {k: getattr(v, "code", None) for k, v in answers.items()}
    assert codes == {"wrong id": "screenshot_unknown", "not ascii": "screenshot_unknown",
                     "not a png": "bad_screenshot",
                     "too big": "bad_screenshot", "right": None,
                     "twice": "screenshot_unknown"}


@pytest.fixture
def sockets(tmp_path: Path) -> Iterator[tuple[LocalClient, LocalClient, EventBus,
                                              ScreenshotDesk]]:
    bus = EventBus()
    desk = ScreenshotDesk(bus)
    svc = Services(state=KioskState(bus, language="zh"), bus=bus, status=lambda: {},
                   read_card=lambda timeout: None, screenshots=desk)
    kiosk_router, admin_router = build_routers(svc)
    servers = [UnixHttpServer(tmp_path / "kiosk.sock", kiosk_router, mode=0o660, name="kiosk"),
               UnixHttpServer(tmp_path / "admin.sock", admin_router, mode=0o600, name="admin")]
    for s in servers:
        s.start()
    yield (LocalClient(tmp_path / "kiosk.sock", timeout=30),
           LocalClient(tmp_path / "admin.sock", timeout=30), bus, desk)
    for s in servers:
        s.close()


def test_through_the_sockets_a_large_png_fits_and_bad_answers_are_refused(
        sockets: Any) -> None:
    kiosk, admin, bus, _ = sockets
    big = png(1280, 800)[:-12] + b"\0" * 600_000 + png(1, 1)[-12:]  # over 64 KiB
    outcomes: list[Any] = []

    def ui(event: Event) -> None:
        if event.type == "screenshot":
            threading.Thread(target=answer, args=(event.data["request_id"],)).start()

    def answer(request_id: str) -> None:
        for body in ({"request_id": request_id, "png_base64": "not base64!"},
                     {"request_id": request_id},
                     {"request_id": request_id, "png_base64": base64.b64encode(big).decode()}):
            try:
                outcomes.append(kiosk.post("/v1/screenshot", body))
            except LocalApiError as exc:
                outcomes.append((exc.status, exc.code))

    bus.add_listener(ui)
    shot = admin.post("/v1/admin/screenshot", {"timeout_s": 20})
    assert (shot["width"], shot["height"], shot["bytes"]) == (1280, 800, len(big))
    assert base64.b64decode(shot["png_base64"]) == big
    assert outcomes == [(400, "bad_screenshot"), (400, "bad_request"), {"received": True}]
    with pytest.raises(LocalApiError) as err:
        kiosk.post("/v1/admin/screenshot", {})  # the UI's socket cannot ask
    assert err.value.status == 404
    # the request model's refusals: a value out of bounds is the field's code, a
    # wrong type bad_request, each naming the field
    for timeout, code in ((0, "bad_timeout"), (121, "bad_timeout"), ("5", "bad_request")):
        with pytest.raises(LocalApiError) as bad:
            admin.post("/v1/admin/screenshot", {"timeout_s": timeout})
        assert (bad.value.status, bad.value.code) == (400, code)
        assert bad.value.details["field"] == "timeout_s"
    with pytest.raises(LocalApiError) as bad:
        kiosk.post("/v1/screenshot", {"request_id": 7, "png_base64": 8})
    assert [p["field"] for p in bad.value.details["problems"]] == ["request_id", "png_base64"]


def _announce(sock_path: Path, path: str, length: int) -> tuple[int, dict[str, Any]]:
    """Send only the head of a request announcing ``length`` bytes of JSON body."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(sock_path))
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: kiosk\r\nContent-Type: application/json"
                     f"\r\nContent-Length: {length}\r\n\r\n".encode())
        sock.settimeout(10)
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_a_body_over_the_bound_is_refused_before_it_is_read(sockets: Any,
                                                            tmp_path: Path) -> None:
    bound = MAX_PNG_BYTES * 4 // 3 + 4096
    status, body = _announce(tmp_path / "kiosk.sock", "/v1/screenshot", bound + 1)
    assert (status, body["code"]) == (413, "too_large")
    # every other route keeps the 64 KiB bound
    status, body = _announce(tmp_path / "kiosk.sock", "/v1/language", 64 * 1024 + 1)
    assert (status, body["code"]) == (413, "too_large")
