"""The central API's one error shape and its catalogue of stable codes.

Every refusal is ``{"code", "message", "message_zh", "details"}`` with an HTTP
status fixed per code, so a client can branch on ``code`` alone. Errors::

    ApiError            a documented refusal (4xx), raised by routes and auth
    └── (no subclasses: the code carries the meaning)

Anything else escaping a route is a defect and becomes ``500 internal_error``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CODES", "ApiError", "ErrorCode", "error_body"]


@dataclass(frozen=True)
class ErrorCode:
    """One stable code: its HTTP status and default messages."""

    status: int
    message: str
    message_zh: str


CODES: dict[str, ErrorCode] = {
    # request shape and protocol
    "validation_error": ErrorCode(400, "The request is not valid.", "请求格式不正确。"),
    "idempotency_key_required": ErrorCode(
        400, "This request needs an Idempotency-Key header.", "此请求须带幂等键。"),
    "unauthorized": ErrorCode(401, "The request is not signed correctly.", "请求签名无效。"),
    "not_found": ErrorCode(404, "No such resource.", "资源不存在。"),
    "method_not_allowed": ErrorCode(405, "Method not allowed here.", "不支持此请求方法。"),
    "payload_too_large": ErrorCode(413, "The request body is too large.", "请求内容过大。"),
    "unsupported_media_type": ErrorCode(
        415, "The request body must be application/json.", "请求内容须为 JSON。"),
    # cards
    "card_unknown": ErrorCode(404, "This card is not known.", "无此卡信息。"),
    "card_lost": ErrorCode(409, "This card has been reported lost.", "此卡已挂失。"),
    "card_blacklisted": ErrorCode(
        409, "This card is blocked. Please visit a service outlet.",
        "此卡已被列入黑名单，请到服务网点办理。"),
    "card_expired": ErrorCode(409, "This card has expired.", "此卡已过有效期。"),
    # loads and purchases
    "order_unknown": ErrorCode(404, "No such order.", "无此订单。"),
    "order_state": ErrorCode(
        409, "The order is not in a state that allows this.", "订单当前状态不允许此操作。"),
    "limit_single": ErrorCode(
        422, "The amount exceeds the single top-up limit.", "金额超过单笔充值限额。"),
    "limit_daily": ErrorCode(
        422, "The amount exceeds the card's daily top-up limit.", "金额超过本卡当日充值限额。"),
    "balance_cap": ErrorCode(
        422, "The card balance would exceed its maximum.", "充值后余额将超过卡片上限。"),
    "insufficient_balance": ErrorCode(422, "The card balance is too low.", "卡内余额不足。"),
    "amount_mismatch": ErrorCode(
        422, "The amount does not match the amount due.", "金额与应付金额不符。"),
    "mac1_invalid": ErrorCode(
        422, "The card's MAC1 is not valid.", "卡片 MAC1 校验失败。"),
    "mac2_invalid": ErrorCode(
        422, "The card's MAC2 is not valid.", "卡片 MAC2 校验失败。"),
    "tac_invalid": ErrorCode(422, "The card's TAC is not valid.", "交易验证码 (TAC) 校验失败。"),
    "evidence_mismatch": ErrorCode(
        422, "The card's log does not show this transaction.", "卡内交易记录与此订单不符。"),
    "idempotency_conflict": ErrorCode(
        422, "This Idempotency-Key was used for a different request.", "此幂等键已用于其他请求。"),
    # bills
    "bill_not_found": ErrorCode(404, "No bill for this account.", "未查到此户号的账单。"),
    "bill_already_paid": ErrorCode(409, "This bill has already been paid.", "此账单已缴清。"),
    # payment password
    "pin_required": ErrorCode(
        422, "The payment password is required for this amount.", "此金额需输入支付密码。"),
    "pin_wrong": ErrorCode(422, "The payment password is wrong.", "支付密码错误。"),
    "pin_locked": ErrorCode(
        423, "Too many wrong passwords; the payment password is locked.",
        "密码错误次数过多，支付密码已锁定。"),
    "pin_not_set": ErrorCode(409, "No payment password has been set.", "尚未设置支付密码。"),
    "pin_already_set": ErrorCode(
        409, "A payment password is already set; change it instead.",
        "已设置支付密码，请使用修改密码。"),
    "pin_weak": ErrorCode(
        422, "The payment password is too simple.", "支付密码过于简单。"),
    "pin_block_invalid": ErrorCode(
        422, "The PIN block cannot be decoded.", "密码块无法解析。"),
    "identity_mismatch": ErrorCode(
        422, "The card number and ID number do not match.", "卡号与证件号码不符。"),
    "identity_locked": ErrorCode(
        423, "Too many wrong ID numbers; ID checks on this card are locked for now.",
        "证件号码错误次数过多，此卡暂停证件验证。"),
    # points
    "points_insufficient": ErrorCode(422, "Not enough points.", "积分不足。"),
    # server
    "internal_error": ErrorCode(500, "Internal error.", "服务器内部错误。"),
}


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


def error_body(code: str, message: str, message_zh: str,
               details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one error shape."""
    return {"code": code, "message": message, "message_zh": message_zh,
            "details": details or {}}
