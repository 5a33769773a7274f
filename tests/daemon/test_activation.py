"""systemd's socket-passing variables: taken only when meant for this process,
and removed either way so no child takes them for its own (the sockets
themselves are passed for real in tests/e2e/test_socket_activation.py)."""

from __future__ import annotations

from daemon.api.activation import inherited_sockets


def test_no_variables_no_sockets() -> None:
    assert inherited_sockets({}) == {}


def test_variables_for_another_process_are_ignored_and_removed() -> None:
    env = {"LISTEN_FDS": "2", "LISTEN_PID": "1", "LISTEN_FDNAMES": "kiosk:admin", "PATH": "/x"}
    assert inherited_sockets(env, pid=4242) == {}
    assert env == {"PATH": "/x"}
