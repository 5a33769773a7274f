"""systemd's socket-passing variables: taken only when meant for this process,
and removed either way so no child takes them for its own (the sockets
themselves are passed for real in tests/e2e/test_socket_activation.py); the
socket files kioskd serves, its own or passed to it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from daemon.api.activation import inherited_sockets
from daemon.api.http import Router, UnixHttpServer


def test_no_variables_no_sockets() -> None:
    assert inherited_sockets({}) == {}


def test_variables_for_another_process_are_ignored_and_removed() -> None:
    env = {"LISTEN_FDS": "2", "LISTEN_PID": "1", "LISTEN_FDNAMES": "kiosk:admin", "PATH": "/x"}
    assert inherited_sockets(env, pid=4242) == {}
    assert env == {"PATH": "/x"}


def _listening(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen()
    return sock


def test_a_passed_socket_elsewhere_than_the_config_says_is_logged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The UI and kioskctl connect to the config's path: a socket unit whose
    ListenStream= is another path leaves them with no daemon, so it is named."""
    passed = _listening(tmp_path / "elsewhere.sock")
    server = UnixHttpServer(tmp_path / "kiosk.sock", Router(), mode=0o600, name="kiosk",
                            inherited=passed)
    server.close()
    assert any(r.levelname == "WARNING" and "elsewhere.sock" in r.getMessage()
               and "kiosk.sock" in r.getMessage() for r in caplog.records), caplog.text


def test_stopping_leaves_a_socket_file_that_is_not_its_own(tmp_path: Path) -> None:
    """kioskd binding its own socket while a socket unit has since made the file
    again (kioskd started by hand, the switch to socket activation) does not
    take systemd's file away when it stops."""
    path = tmp_path / "kiosk.sock"
    server = UnixHttpServer(path, Router(), mode=0o600, name="kiosk")
    path.unlink()
    systemds = _listening(path)
    server.close()
    assert path.is_socket()
    systemds.close()


def test_stopping_removes_its_own_socket_file(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sock"
    UnixHttpServer(path, Router(), mode=0o600, name="kiosk").close()
    assert not path.exists()
