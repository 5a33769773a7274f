"""What kioskd needs from this machine beyond a valid config file: the secret
file, the TLS files and the socket groups. ``kioskctl config check`` runs these
checks so an operator hears of every problem before a start, each with its
file and key as config problems are; kioskd itself meets the same conditions
at start-up (:func:`daemon.central.read_secret`, :class:`daemon.api.http.UnixHttpServer`).

A kiosk that handles real money also needs a private link to the card centre:
outside a simulation the central URL must be ``https://`` (a plain ``http://``
link carries signed money requests and card numbers in the clear). The TLS
client key, like the kiosk secret, must be readable by its owner only — in a
simulation too, since a key is a key. These two are the config check's own
rules: kioskd starts with a plain URL (the development stack needs it).

What this user may not look at (a secret only kioskd's user can read) is
listed as unchecked, not as a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from config import Config
from config.loader import ConfigProblem
from daemon.api.http import group_id
from daemon.central import SecretFileError, read_secret

__all__ = ["HostCheck", "check_host", "is_simulation"]


@dataclass
class HostCheck:
    """The problems found in ``source``'s settings, and what could not be looked at."""

    source: str
    problems: list[ConfigProblem] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)

    def problem(self, key: str, message: str) -> None:
        self.problems.append(ConfigProblem(self.source, key, message))

    def file(self, key: str, path: Path) -> None:
        try:
            path.stat()
        except FileNotFoundError:
            self.problem(key, f"{path} does not exist")
        except PermissionError:
            self.unchecked.append(f"{key}: {path} cannot be looked at by this user")

    def private_file(self, key: str, path: Path) -> None:
        """``path`` (already known to exist) must not be readable by group or others."""
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            return  # reported (or listed as unchecked) by file()
        if mode & 0o077:
            self.problem(key, f"{path} has mode {mode:04o}: a private key must be readable "
                              "by its owner only (chmod 600)")


def is_simulation(cfg: Config) -> bool:
    """Whether ``cfg`` describes a simulated kiosk (``kioskd --simulate``'s reader and
    printer), as deploy/stack.py and ``make demo`` write it."""
    return cfg.reader.path == "sim" and cfg.printer.backend == "sim"


def check_host(cfg: Config, *, simulate: bool = False) -> HostCheck:
    """Every problem this machine has with ``cfg``, at once. ``simulate`` (or a
    simulation config) allows a plain ``http://`` central URL."""
    check = HostCheck(str(cfg.source))
    if not (simulate or is_simulation(cfg)) and not cfg.central.url.startswith("https://"):
        check.problem("central.url", f"{cfg.central.url} is plain HTTP: a kiosk talks to the "
                                     "card centre over https:// only (kioskctl config check "
                                     "--simulate for a development kiosk)")
    try:
        read_secret(cfg.kiosk.secret_file)
    except FileNotFoundError:
        check.problem("kiosk.secret_file", f"{cfg.kiosk.secret_file} does not exist")
    except SecretFileError as exc:
        check.problem("kiosk.secret_file", str(exc))
    except PermissionError:
        check.unchecked.append(f"kiosk.secret_file: {cfg.kiosk.secret_file} is not readable "
                               "by this user (kioskd's user must read it)")
    for key, path in (("central.ca_file", cfg.central.ca_file),
                      ("central.client_cert", cfg.central.client_cert),
                      ("central.client_key", cfg.central.client_key)):
        if path is not None:
            check.file(key, path)
    if cfg.central.client_key is not None:
        check.private_file("central.client_key", cfg.central.client_key)
    for key, group in (("paths.kiosk_socket_group", cfg.paths.kiosk_socket_group),
                       ("paths.admin_socket_group", cfg.paths.admin_socket_group)):
        if group:
            try:
                group_id(group)
            except LookupError as exc:
                check.problem(key, str(exc))
    return check
