"""kioskd's secret, re-read when its file changes (a rotation without a restart)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from daemon.kiosksecret import KioskSecret
from protocol.signing import verify


def write_secret_file(path: Path, secret: bytes) -> None:
    """As the central side's rotate-secret and the playbook write it: a new 0600 file
    renamed over the old one."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secret + b"\n")
    os.replace(tmp, path)


def _file(tmp_path: Path, secret: bytes) -> Path:
    path = tmp_path / "kiosk.secret"
    write_secret_file(path, secret)
    return path


def test_a_new_secret_in_the_file_is_used_from_the_next_call(tmp_path: Path) -> None:
    path = _file(tmp_path, b"a" * 32)
    source = KioskSecret(path)
    assert source.current() == b"a" * 32
    write_secret_file(path, b"b" * 32)  # as rotate-secret and the playbook write it
    assert source.current() == b"b" * 32 and source.changes == 1
    assert source.current() == b"b" * 32 and source.changes == 1
    assert "b" * 32 not in repr(source) and "b" * 32 not in repr(source.auth("K"))


def test_an_unfit_file_keeps_the_secret_in_use(tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    path = _file(tmp_path, b"a" * 32)
    source = KioskSecret(path)
    os.chmod(path, 0o644)
    assert source.current() == b"a" * 32
    assert "cannot be used" in caplog.text
    path.unlink()
    assert source.current() == b"a" * 32
    write_secret_file(path, b"c" * 32)
    assert source.current() == b"c" * 32


def test_requests_are_signed_with_the_secret_of_the_moment(tmp_path: Path) -> None:
    path = _file(tmp_path, b"a" * 32)
    auth = KioskSecret(path).auth("KIOSK-1")

    def signed() -> dict[str, str]:
        req = requests.Request("GET", "http://central.test/v1/cards/1?x=1").prepare()
        return dict(auth(req).headers)

    headers = signed()
    assert verify("GET", "/v1/cards/1?x=1", b"", headers,
                  secret_for={"KIOSK-1": b"a" * 32})[0] == "KIOSK-1"
    write_secret_file(path, b"d" * 32)
    headers = signed()
    assert verify("GET", "/v1/cards/1?x=1", b"", headers,
                  secret_for={"KIOSK-1": b"d" * 32})[0] == "KIOSK-1"
