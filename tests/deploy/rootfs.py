"""A throwaway Debian Bookworm root for the install test: debootstrap once
(the finished root cached as a tarball under ~/.cache/citycard/), unpacked
afresh for each run, with /proc, /sys, /dev and the package caches mounted
in; everything unmounted again in ``close`` whatever happened.

The Debian mirror is the one this machine's apt uses (or
$CITYCARD_DEBIAN_MIRROR), so the test reaches nothing apt would not.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

__all__ = ["DebianRoot", "debian_mirror"]

CACHE = Path(os.environ.get("CITYCARD_CACHE", Path.home() / ".cache" / "citycard"))
SUITE = "bookworm"
# What a bare Pi OS Bookworm Lite already has and a minbase root lacks. Not
# ansible-core: deploy/install.sh installs it, as it must on a Pi.
BASE_PACKAGES = ("python3", "systemd", "systemd-sysv", "udev", "kmod", "sudo",
                 "ca-certificates", "dbus")


def debian_mirror() -> str:
    """The main Debian archive URL from this machine's apt sources."""
    if os.environ.get("CITYCARD_DEBIAN_MIRROR"):
        return os.environ["CITYCARD_DEBIAN_MIRROR"]
    texts = [p.read_text(encoding="utf-8") for p in
             [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
             if p.is_file() and p.suffix in ("", ".list", ".sources")]
    for text in texts:
        for url in re.findall(r"^\s*URIs:\s*(\S+)", text, re.M) + \
                re.findall(r"^\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+\S+", text, re.M):
            if "security" not in url and "/debian" in url:
                return url
    raise RuntimeError("no Debian mirror in /etc/apt: set CITYCARD_DEBIAN_MIRROR")


def _run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=True, text=True, capture_output=True, **kw)  # type: ignore[call-overload]


class DebianRoot:
    """A Debian root at ``path``; ``chroot`` runs a command in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mounts: list[Path] = []

    # -- the cached base -------------------------------------------------------------
    @staticmethod
    def base_tarball() -> Path:
        """The bootstrapped root as a tarball, made once per package list."""
        key = hashlib.sha256(" ".join((SUITE, *BASE_PACKAGES)).encode()).hexdigest()[:12]
        tarball = CACHE / "debootstrap" / f"{SUITE}-{key}.tar.gz"
        if tarball.exists():
            return tarball
        tarball.parent.mkdir(parents=True, exist_ok=True)
        build = tarball.parent / f"build-{os.getpid()}"
        try:
            _run(["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
                  SUITE, str(build), debian_mirror()], timeout=1800)
            _run(["chroot", str(build), "apt-get", "clean"])
            partial = tarball.with_suffix(".partial")
            _run(["tar", "-C", str(build), "--numeric-owner", "-I", "gzip -1", "-cf",
                  str(partial), "."], timeout=600)
            partial.rename(tarball)  # a tarball that exists is whole
        finally:
            shutil.rmtree(build, ignore_errors=True)
        return tarball

    def unpack(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        _run(["tar", "-C", str(self.path), "--numeric-owner", "-xzf",
              str(self.base_tarball())], timeout=600)
        shutil.copy("/etc/resolv.conf", self.path / "etc" / "resolv.conf")
        # Packages and wheels downloaded once serve every later run.
        self.bind(CACHE / "apt-archives", "var/cache/apt/archives")
        self.bind(CACHE / "pip", "root/.cache/pip")
        self.mount("proc", "proc", "proc")
        self.mount("sysfs", "sysfs", "sys", "ro")
        self.bind(Path("/dev"), "dev")
        self.bind(Path("/dev/pts"), "dev/pts")

    # -- mounts ----------------------------------------------------------------------
    def _target(self, inside: str) -> Path:
        target = self.path / inside
        target.mkdir(parents=True, exist_ok=True)
        return target

    def mount(self, fstype: str, source: str, inside: str, options: str = "") -> None:
        target = self._target(inside)
        _run(["mount", "-t", fstype, *(["-o", options] if options else []), source,
              str(target)])
        self._mounts.append(target)

    def bind(self, source: Path, inside: str) -> None:
        source.mkdir(parents=True, exist_ok=True)
        target = self._target(inside)
        _run(["mount", "--bind", str(source), str(target)])
        self._mounts.append(target)

    # -- running things inside ---------------------------------------------------------
    def chroot(self, *argv: str, user: str | None = None, groups: str | None = None,
               timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess[str]:
        """``argv`` in the root, as root or as ``user`` (with its groups from the
        root's /etc/group, or exactly ``groups``)."""
        return subprocess.run(self.command(*argv, user=user, groups=groups), text=True,
                              capture_output=True, timeout=timeout, check=check,
                              env=self.env())

    def command(self, *argv: str, user: str | None = None,
                groups: str | None = None) -> list[str]:
        prefix = ["chroot", str(self.path)]
        if user is not None:
            prefix += ["setpriv", f"--reuid={user}", f"--regid={user}",
                       f"--groups={groups}" if groups is not None else "--init-groups",
                       "--inh-caps=-all", "--"]
        return [*prefix, *argv]

    @staticmethod
    def env() -> dict[str, str]:
        return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": "/root", "LANG": "C.UTF-8", "TERM": "dumb",
                "DEBIAN_FRONTEND": "noninteractive"}

    def close(self) -> None:
        """Unmount everything (lazily where something still holds a mount), then
        remove the root."""
        for target in reversed(self._mounts):
            if subprocess.run(["umount", str(target)], capture_output=True).returncode:
                subprocess.run(["umount", "-l", str(target)], capture_output=True)
        self._mounts.clear()
        still = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                 if line.split()[1].startswith(str(self.path))]
        if still:
            raise RuntimeError(f"still mounted, not removing {self.path}: {still}")
        shutil.rmtree(self.path, ignore_errors=True)
