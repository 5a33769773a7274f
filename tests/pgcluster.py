"""A throwaway PostgreSQL server for the test session (docs/decisions.md).

Debian's ``postgresql`` package (deploy/syspkgs.sh) provides the binaries; nothing
of the machine's own clusters is used. :func:`start` runs ``initdb`` in a fresh
temporary directory and ``pg_ctl start`` with only a unix socket in that directory
(no TCP port, ``fsync=off``: it is thrown away). PostgreSQL refuses to run as root,
so when the tests run as root the cluster runs as the ``postgres`` user (or
``nobody``) through ``runuser``, the directory handed over to that user.
Each test gets its own database, ``CREATE DATABASE … TEMPLATE`` of a migrated and
seeded one (a file copy: milliseconds).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Cluster", "binaries", "start"]


def binaries() -> Path | None:
    """The directory of initdb and pg_ctl, or None when PostgreSQL is not installed."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                            key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit()
                            else 0, reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return user
    raise RuntimeError("running as root with neither a postgres nor a nobody user")


@dataclass
class Cluster:
    bindir: Path
    root: Path
    user: str | None
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://citycard@/{database}?host={self.root}"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def new_name(self, prefix: str = "t") -> str:
        return f"{prefix}{next(self._names)}"

    def admin(self, statement: str) -> None:
        """One statement on the maintenance database, outside a transaction
        (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(host=str(self.root), user="citycard", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(statement.encode())

    def stop(self) -> None:
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m",
                                 "immediate", "-w", "stop"), check=False,
                       capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def start() -> Cluster:
    """initdb + start; RuntimeError (with the server's log) when it cannot."""
    bindir = binaries()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL is not installed (Debian package postgresql; "
                                "deploy/syspkgs.sh installs it)")
    user = _run_as()
    # Not under pytest's basetemp: its parents are 0700 root, closed to the cluster's user.
    root = Path(tempfile.mkdtemp(prefix="citycard-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(bindir, root, user)
    try:
        subprocess.run(cluster._cmd(str(bindir / "initdb"), "-D", str(cluster.data), "-U",
                                    "citycard", "--auth=trust", "-E", "UTF8",
                                    "--locale=C", "--no-sync"),
                       check=True, capture_output=True, timeout=120)
        options = (f"-k {root} -c listen_addresses='' -F "
                   "-c max_connections=200 -c shared_buffers=32MB")
        started = subprocess.run(
            cluster._cmd(str(bindir / "pg_ctl"), "-D", str(cluster.data), "-o", options,
                         "-l", str(root / "server.log"), "-w", "-t", "60", "start"),
            capture_output=True, text=True, timeout=90)
        if started.returncode != 0:
            log = (root / "server.log").read_text(errors="replace") \
                if (root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr}\n{log}")
    except BaseException:
        cluster.stop()
        raise
    return cluster
