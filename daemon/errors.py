"""The daemon's domain errors: why a cardholder's request was not done, said in
both languages, with the facts behind it.

Raised by the domain code (:mod:`daemon.sessions`, :mod:`daemon.account`),
which knows nothing of HTTP: the local API gives each code its status in one
table (:mod:`daemon.api.errors`), and the error body is this error's
``code``, ``message``, ``message_zh`` and ``details``. ::

    KioskError              code, message, message_zh, details
    ├── BadInput            the request itself is wrong (a PIN that is not 6 digits)
    ├── Refused             not now, or not for this card: another session, no card,
    │   │                   the wrong step, the limits reached, a bill already paid
    │   └── CardNotUsable   the card's status forbids the service (code card_<status>)
    ├── Unavailable         the kiosk or the card centre cannot serve now, or the
    │                       centre's answer could not be read
    └── CentralRefusal      the card centre's own refusal, passed on as it came

A step moved out of order is not here: that is a bug
(:class:`daemon.sessions.steps.IllegalMove`), answered as an internal error.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from daemon.central import CentralRejected
from protocol.money import format_fen

__all__ = ["BadInput", "CardNotUsable", "CentralRefusal", "KioskError", "Refused",
           "Unavailable"]


class KioskError(Exception):
    """A request the kiosk did not carry out, and why (``message_zh`` defaults to
    ``message``, as the error shape needs both)."""

    def __init__(self, code: str, message: str, message_zh: str = "",
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.message_zh = message_zh or message
        self.details: dict[str, Any] = details or {}


class BadInput(KioskError):
    """The request itself is wrong; the same request will never succeed."""


class Refused(KioskError):
    """Not now, or not for this card; the state of the kiosk or the card decides."""


class CardNotUsable(Refused):
    """The card's status (lost, blacklisted, expired, …) forbids this service."""

    def __init__(self, status: str, *, reason: str | None = None, owed_fen: int = 0,
                 hotline: str = "") -> None:
        message, message_zh = "This card cannot be used for this service.", "此卡不能办理该业务。"
        details: dict[str, Any] = {}
        if status == "blacklisted":
            # The reason, and where to go: an overdraft is cleared by a cash top-up here.
            call = f" Hotline {hotline}." if hotline else ""
            call_zh = f"客服热线 {hotline}。" if hotline else ""
            if reason == "overdraft":
                owed = format_fen(owed_fen)
                message = (f"This card is blacklisted for an unpaid overdraft of {owed}. A "
                           f"cash top-up repays it first; other services open once it is "
                           f"repaid.{call}")
                message_zh = (f"此卡因透支未还（欠款{owed}）被列入黑名单。现金充值将先偿还欠款，"
                              f"还清后恢复其他业务。{call_zh}")
            else:
                why, why_zh = _BLACKLIST_REASONS.get(reason or "other", _BLACKLIST_REASONS["other"])
                message = f"This card is blocked ({why}). Please call the hotline or visit a " \
                          f"service outlet.{call}"
                message_zh = f"此卡已被列入黑名单（{why_zh}），请致电客服热线或到服务网点办理。" \
                             f"{call_zh}"
            details = {"reason": reason or "other", "owed_fen": owed_fen, "hotline": hotline}
        super().__init__(f"card_{status}", message, message_zh, details)
        self.status = status


_BLACKLIST_REASONS = {"fraud": ("suspected fraud", "涉嫌盗刷或欺诈"),
                      "other": ("by the card centre", "一卡通中心限制使用"),
                      "overdraft": ("unpaid overdraft", "透支未还")}


class Unavailable(KioskError):
    """The kiosk (maintenance) or the card centre (offline, unreadable) cannot serve now."""


class CentralRefusal(KioskError):
    """The card centre refused, and the cardholder is told what it said.

    ``central_status`` is the status the centre answered with, which the local
    API passes on (its codes are the centre's, not the kiosk's)."""

    def __init__(self, code: str, message: str, message_zh: str,
                 details: dict[str, Any], *, central_status: int) -> None:
        super().__init__(code, message, message_zh, details)
        self.central_status = central_status

    @classmethod
    def of(cls, exc: CentralRejected, zone: tzinfo) -> CentralRefusal:
        """The centre's refusal as the screen shows it: a wrong password or ID says how
        many tries are left, a lock says when it ends in ``zone`` (the details carry
        both too)."""
        message, message_zh, details = exc.message, exc.message_zh, exc.details
        tries, retry = details.get("tries_left"), details.get("retry_after_s")
        if exc.code in _LOCKED and isinstance(retry, int):
            minutes = max(1, -(-retry // 60))
            until = _clock_time(details.get("locked_until"), zone)
            what, what_zh = _LOCKED[exc.code]
            message = (f"Too many wrong tries. {what}; try again in {minutes} min"
                       + (f" (after {until})." if until else "."))
            message_zh = (f"错误次数过多，{what_zh}，请{minutes}分钟后"
                          + (f"（{until}以后）再试。" if until else "再试。"))
        elif exc.code in _TRIES and isinstance(tries, int):
            message = f"{exc.message} {tries} {'try' if tries == 1 else 'tries'} left."
            message_zh = f"{exc.message_zh}还可尝试{tries}次。"
        return cls(exc.code, message, message_zh, details, central_status=exc.status)


_LOCKED = {"pin_locked": ("The payment password is locked", "支付密码已锁定"),
           "identity_locked": ("ID number checks on this card are locked", "此卡的证件验证已锁定")}
_TRIES = ("pin_wrong", "identity_mismatch")


def _clock_time(stamp: Any, zone: tzinfo) -> str | None:
    """``HH:MM`` in the kiosk's zone of an ISO time from the centre, or None."""
    try:
        return datetime.fromisoformat(str(stamp)).astimezone(zone).strftime("%H:%M")
    except ValueError:
        return None
