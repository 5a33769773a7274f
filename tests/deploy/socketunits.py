"""What systemd does with kioskd's socket units before it starts kioskd, done
here for the install test, where no systemd runs: each unit's ``ListenStream=``
bound inside the root and given its ``SocketUser=``, ``SocketGroup=`` and
``SocketMode=`` (the names looked up in the root's /etc/passwd and /etc/group),
then passed to the command from fd 3 on with ``LISTEN_FDS``, ``LISTEN_FDNAMES``
(``FileDescriptorName=``) and ``LISTEN_PID``, as ``sd_listen_fds`` expects.
"""

from __future__ import annotations

import configparser
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Listening", "listen", "passing", "read_unit"]

# Run by this Python before the command: moves the sockets to fds 3, 4, ...,
# names them and execs the command, which keeps this process's pid (LISTEN_PID).
_EXEC = """\
import os, sys
fds = [int(fd) for fd in sys.argv[1].split(",")]
moved = [os.dup(fd) for fd in fds]
for fd in fds:
    os.close(fd)
for i, fd in enumerate(moved):  # ascending from 3: none lands on a later one
    if fd != 3 + i:
        os.dup2(fd, 3 + i)
        os.close(fd)
    os.set_inheritable(3 + i, True)
os.environ.update(LISTEN_FDS=str(len(fds)), LISTEN_FDNAMES=sys.argv[2],
                  LISTEN_PID=str(os.getpid()))
os.execvp(sys.argv[3], sys.argv[3:])
"""


def read_unit(path: Path) -> configparser.RawConfigParser:
    unit = configparser.RawConfigParser(strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(path)
    return unit


def _ids(root: Path, table: str, name: str) -> int:
    for line in (root / "etc" / table).read_text(encoding="utf-8").splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return int(fields[2])
    raise LookupError(f"no {name!r} in {root}/etc/{table}")


@dataclass
class Listening:
    name: str  # FileDescriptorName=
    path: Path  # the socket file, on this machine
    sock: socket.socket

    def close(self) -> None:
        """As stopping the socket unit does (RemoveOnStop=yes)."""
        self.sock.close()
        self.path.unlink(missing_ok=True)


def listen(root: Path, unit_file: Path) -> Listening:
    """The socket of ``unit_file`` (a .socket unit), listening inside ``root``."""
    section = read_unit(unit_file)["Socket"]
    path = root / section["ListenStream"].lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_socket():
        path.unlink()  # systemd too binds again over a stale socket file
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    os.chown(path, _ids(root, "passwd", section.get("SocketUser", "root")),
             _ids(root, "group", section.get("SocketGroup", "root")))
    os.chmod(path, int(section.get("SocketMode", "0666"), 8))
    sock.listen()
    return Listening(section.get("FileDescriptorName", unit_file.name), path, sock)


def passing(sockets: list[Listening]) -> list[str]:
    """The command prefix that hands ``sockets`` to the command after it (give
    subprocess ``pass_fds=[s.sock.fileno() ...]``)."""
    return [sys.executable, "-c", _EXEC, ",".join(str(s.sock.fileno()) for s in sockets),
            ":".join(s.name for s in sockets)]
