"""Notices (维护公告): announcements and maintenance windows the kiosks show.

An operator of the central side files them (``citycard-central add-notice``);
kiosks read the current and coming ones with ``GET /v1/notices``, and a
``maintenance`` notice is also the window the heartbeat answer announces. A
notice that could never be shown (it ends before it starts, it is over already,
a language is missing) is refused in the error shape and nothing is stored.
"""

from __future__ import annotations

import datetime as dt

from central import db
from central.db import Connection
from central.errors import ApiError
from central.routes.common import CHINA

__all__ = ["KINDS", "add_notice", "parse_time"]

KINDS = ("announcement", "maintenance")


def parse_time(text: str) -> int:
    """ISO 8601 (China time when it names no offset) as Unix seconds."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ApiError("validation_error", f"not an ISO 8601 time: {text!r}",
                       message_zh=f"时间格式不正确：{text!r}", value=text) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=CHINA)
    return int(when.timestamp())


def add_notice(conn: Connection, *, kind: str, title: str, title_zh: str, body: str,
               body_zh: str, starts_at: int, ends_at: int, now: int) -> int:
    """Store one notice; returns its id. ``ApiError("validation_error")`` and nothing
    stored when it is not fit to show."""
    if kind not in KINDS:
        raise ApiError("validation_error", f"kind is one of {', '.join(KINDS)}",
                       message_zh="类型只能是 announcement 或 maintenance", field="kind")
    for name, text in (("title", title), ("title_zh", title_zh), ("body", body),
                       ("body_zh", body_zh)):
        if not text.strip() or len(text) > 200:
            raise ApiError("validation_error", f"{name}: 1 to 200 characters",
                           message_zh=f"{name}：须为1至200个字符", field=name)
    if ends_at <= starts_at:
        raise ApiError("validation_error", "A notice must end after it starts.",
                       message_zh="公告的结束时间须晚于开始时间。", field="ends_at",
                       starts_at=starts_at, ends_at=ends_at)
    if ends_at <= now:
        raise ApiError("validation_error", "This notice is over already.",
                       message_zh="此公告的结束时间已过。", field="ends_at", ends_at=ends_at)
    return int(db.scalar(
        conn, "INSERT INTO notices (kind, title, title_zh, body, body_zh, starts_at, ends_at)"
        " VALUES (:kind, :title, :title_zh, :body, :body_zh, :starts_at, :ends_at)"
        " RETURNING notice_id", kind=kind, title=title, title_zh=title_zh, body=body,
        body_zh=body_zh, starts_at=starts_at, ends_at=ends_at))
