"""The central API's refusals: :class:`ApiError` over the central codes of the
one error catalogue (:data:`protocol.errors.CENTRAL`).

Every refusal is ``{"code", "message", "message_zh", "details"}`` with an HTTP
status fixed per code, so a client can branch on ``code`` alone. Errors::

    ApiError            a documented refusal (4xx), raised by routes and auth
    └── (no subclasses: the code carries the meaning)

Anything else escaping a route is a defect and becomes ``500 internal_error``.
"""

from __future__ import annotations

from typing import Any

from protocol.errors import CENTRAL, error_body

__all__ = ["CODES", "ApiError"]

CODES = CENTRAL  # the codes this server answers with


class ApiError(Exception):
    """A documented refusal; ``code`` must be a key of :data:`CODES`."""

    def __init__(self, code: str, message: str | None = None, *, message_zh: str | None = None,
                 **details: Any) -> None:
        entry = CODES[code]
        super().__init__(message or entry.message)
        self.code = code
        self.status = entry.status
        self.message = message or entry.message
        self.message_zh = message_zh or entry.message_zh
        self.details = details
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.message_zh, self.details)
