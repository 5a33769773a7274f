"""What kioskd needs from this machine beyond a valid config file: the secret
file, the TLS files and the socket groups. ``kioskctl config check`` runs these
checks so an operator hears of every problem before a start, each with its
file and key as config problems are; kioskd itself meets the same conditions
at start-up (:func:`daemon.central.read_secret`, :class:`daemon.api.http.UnixHttpServer`).

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

__all__ = ["HostCheck", "check_host"]


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


def check_host(cfg: Config) -> HostCheck:
    """Every problem this machine has with ``cfg``, at once."""
    check = HostCheck(str(cfg.source))
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
    for key, group in (("paths.kiosk_socket_group", cfg.paths.kiosk_socket_group),
                       ("paths.admin_socket_group", cfg.paths.admin_socket_group)):
        if group:
            try:
                group_id(group)
            except LookupError as exc:
                check.problem(key, str(exc))
    return check
