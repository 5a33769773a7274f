"""Sockets handed over by systemd (socket activation, ``sd_listen_fds``), so
kioskd needs no membership in the groups that may use kiosk.sock and admin.sock:
``kioskd-kiosk.socket`` and ``kioskd-admin.socket`` create them with their
owner, group and mode, and pass them on start as ``LISTEN_FDS`` /
``LISTEN_FDNAMES`` (``FileDescriptorName=kiosk`` / ``admin``) from fd 3 on.

The protocol is a few environment variables, read here with the standard
library; without them (``kioskd`` started by hand, the tests, the demo) kioskd
binds its sockets itself.
"""

from __future__ import annotations

import logging
import os
import socket
import stat
from collections.abc import MutableMapping

__all__ = ["LISTEN_FDS_START", "inherited_sockets"]

logger = logging.getLogger(__name__)

LISTEN_FDS_START = 3


def inherited_sockets(environ: MutableMapping[str, str] | None = None, *,
                      pid: int | None = None) -> dict[str, socket.socket]:
    """The listening Unix sockets passed to this process, by their names. The
    variables are removed, so a child process does not take them for its own.
    Refuses (ValueError) fds that are not listening Unix stream sockets."""
    env = os.environ if environ is None else environ
    names_var = env.pop("LISTEN_FDNAMES", "")
    count_var = env.pop("LISTEN_FDS", "")
    pid_var = env.pop("LISTEN_PID", "")
    if not count_var or pid_var != str(os.getpid() if pid is None else pid):
        return {}
    count = int(count_var)
    names = names_var.split(":") if names_var else []
    found: dict[str, socket.socket] = {}
    for i in range(count):
        fd = LISTEN_FDS_START + i
        name = names[i] if i < len(names) else f"fd{fd}"
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            raise ValueError(f"systemd passed fd {fd} ({name}), which is not a socket")
        sock = socket.socket(fileno=fd)
        if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
            raise ValueError(f"systemd passed fd {fd} ({name}), not a Unix stream socket")
        os.set_inheritable(fd, False)
        found[name] = sock
    logger.info("sockets from systemd: %s", ", ".join(f"{n} ({s.getsockname()})"
                                                     for n, s in found.items()))
    return found
