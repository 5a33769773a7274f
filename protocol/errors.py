"""The one error catalogue: every code of both APIs, its HTTP status and messages.

Every refusal on either API is ``{"code", "message", "message_zh", "details"}``
(:func:`error_body`) with an HTTP status fixed per code, so a client can branch
on ``code`` alone. The messages here are each code's default wording; a place
that knows more (how many tries are left, which field) may say more.

* :data:`CENTRAL` — the central API (the reference server refuses with these
  only; ``central/errors.py``).
* :data:`LOCAL` — the local API (kiosk.sock / admin.sock): kioskd's own codes
  and the card layer's (``hardware/card/errors.py`` takes its messages from
  here). Where a request goes on to the central side, kioskd relays the
  central refusal — its code, status and details — so those codes are
  :data:`CENTRAL`'s.

tests/protocol/test_errors.py reads the sources: every code kioskd raises is
in :data:`LOCAL`, with its status, and every entry there is raised somewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CENTRAL", "LOCAL", "ErrorCode", "error_body"]


@dataclass(frozen=True)
class ErrorCode:
    """One stable code: its HTTP status and default messages.

    ``also`` lists other statuses one route answers the code with (said where)."""

    status: int
    message: str
    message_zh: str
    also: tuple[int, ...] = ()


def error_body(code: str, message: str, message_zh: str,
               details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one error shape."""
    return {"code": code, "message": message, "message_zh": message_zh,
            "details": details or {}}


CENTRAL: dict[str, ErrorCode] = {
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
    # the loss-report lifecycle (central/routes/lifecycle.py)
    "card_not_lost": ErrorCode(
        409, "This card has no loss report to cancel.", "此卡未挂失，无需解挂。"),
    "card_replaced": ErrorCode(
        409, "A replacement card was issued for this card; its loss report stays. "
             "Please visit a service outlet.",
        "此卡已补办新卡，不能解挂，请到服务网点办理。"),
    "transfer_none": ErrorCode(
        409, "This card is not the replacement of a lost card: there is no balance to move.",
        "此卡不是挂失补办的新卡，没有可转移的余额。"),
    "transfer_not_yet": ErrorCode(
        409, "The old card's balance is still held; it can be moved after the hold period.",
        "旧卡余额尚在保留期内，保留期满后方可转入新卡。"),
    "transfer_in_progress": ErrorCode(
        409, "A transfer to this card is already under way; finish it as a pending load.",
        "此卡已有一笔余额转移正在办理，请按待圈存完成。"),
    "transfer_done": ErrorCode(
        409, "The old card's balance has already been moved to this card.",
        "旧卡余额已全部转入此卡。"),
    "transfer_amount": ErrorCode(
        422, "The amount is more than the transferable balance.", "金额超过可转移余额。"),
    # disputes (central/routes/disputes.py)
    "transaction_unknown": ErrorCode(
        404, "This card has no such transaction.", "此卡没有这笔交易。"),
    "dispute_exists": ErrorCode(
        409, "This transaction is already disputed.", "这笔交易已提交过争议申请。"),
    # overdraft and the blacklist (central/routes/overdraft.py)
    "repayment_none": ErrorCode(
        409, "This card owes no overdraft.", "此卡没有需要偿还的透支金额。"),
    "repayment_amount": ErrorCode(
        422, "The amount is more than the overdraft owed.", "金额超过所欠透支金额。"),
    # the issuer's administration (central/routes/admin.py; staff, not kiosks)
    "alert_unknown": ErrorCode(404, "No such alert.", "无此预警。"),
    "kiosk_unknown": ErrorCode(404, "No such kiosk.", "无此终端。"),
    "kiosk_exists": ErrorCode(409, "This kiosk is already registered.", "此终端已登记。"),
    "card_not_blacklisted": ErrorCode(
        409, "This card is not blacklisted.", "此卡不在黑名单中。"),
    "blacklist_owed": ErrorCode(
        409, "This card still owes an overdraft; it leaves the blacklist when repaid.",
        "此卡尚有透支欠款，还清后自动移出黑名单。"),
    "replacement_refused": ErrorCode(
        409, "A replacement card cannot be recorded for these cards.", "无法为此卡登记补办新卡。"),
    # server
    "internal_error": ErrorCode(500, "Internal error.", "服务器内部错误。"),
}

_CARD_LAYER = 422  # a card error answered on the local API (admin card read)

LOCAL: dict[str, ErrorCode] = {
    # request shape and protocol (daemon/api/http.py)
    "bad_request": ErrorCode(
        400, "The request is malformed.", "请求格式不正确",
        # the standard library's own refusals keep their status (URI too long, ...)
        also=(414, 431, 505)),
    "bad_json": ErrorCode(400, "The body must be a JSON object.", "请求必须是 JSON 对象"),
    "not_found": ErrorCode(404, "No such resource.", "没有这个资源"),
    "method_not_allowed": ErrorCode(405, "Method not allowed here.", "此处不支持该请求方法"),
    "too_large": ErrorCode(413, "The request body is too large.", "请求过大"),
    "unsupported_media_type": ErrorCode(415, "The body must be application/json.",
                                        "请求必须是 application/json"),
    "internal": ErrorCode(500, "Internal error.", "内部错误"),
    # request fields
    "bad_language": ErrorCode(400, "Language must be 'zh' or 'en'.", "语言只能是 zh 或 en"),
    "bad_pin": ErrorCode(400, "The payment password is 6 digits.", "支付密码为6位数字。"),
    "pin_required": ErrorCode(400, "Enter your payment password.", "请输入支付密码。"),
    "pin_or_id": ErrorCode(
        400, "Give the payment password or the ID's last 6.",
        "请输入支付密码或身份证后6位（二选一）。"),
    "bad_id_last6": ErrorCode(
        400, "Enter the last 6 characters of your ID.", "请输入身份证后6位。"),
    "bad_card_no": ErrorCode(
        400, "Enter the card number as printed on the card (19 or 20 digits).",
        "请输入卡面印刷的卡号（19位或20位数字）。"),
    "bad_points": ErrorCode(400, "Choose how many points to redeem.", "请选择兑换的积分数。"),
    "bad_period": ErrorCode(
        400, "Choose this month, last month or the last 30 days.", "请选择本月、上月或最近30天"),
    "bad_category": ErrorCode(400, "Choose a category.", "请选择问题类别。"),
    "bad_transaction": ErrorCode(
        400, "Choose a transaction from the history.", "请从交易记录中选择一笔交易。"),
    "bad_text": ErrorCode(400, "Write 1 to 500 characters.", "请填写1至500字。"),
    "bad_utility": ErrorCode(
        400, "Utility must be water, electricity or gas.", "缴费类型只能是水、电、燃气"),
    "bad_account_no": ErrorCode(
        400, "The account number is 6 to 20 digits.", "户号为6至20位数字。"),
    "bad_cursor": ErrorCode(
        400, "Cursor: the next_cursor of the page before.", "翻页参数无效，请从第一页重新查询。"),
    "bad_limit": ErrorCode(400, "Limit is a number 1..100.", "每页条数为1至100"),
    "bad_last_event_id": ErrorCode(
        400, "Last-Event-ID must be a number.", "Last-Event-ID 须为数字"),
    "bad_date": ErrorCode(
        400, "Date is YYYY-MM-DD, a day that has begun.", "日期格式为 YYYY-MM-DD，且不晚于今天"),
    "bad_timeout": ErrorCode(400, "timeout_s must be 1..120.", "timeout_s 须为1至120"),
    "bad_operator": ErrorCode(
        400, "Operator: your name or staff id (1-40), no control characters.",
        "操作员：请填写姓名或工号（1至40个字符），不能包含控制字符"),
    "bad_amount": ErrorCode(
        400, "The simulator has no such note or coin.", "模拟器不支持此面额"),
    # sessions and the card on screen
    "no_card": ErrorCode(
        409, "Tap your card first.", "请先刷卡。",
        also=(408,)),  # 408: the admin card read saw no card within its timeout
    "card_checking": ErrorCode(
        409, "Still checking your card with the card centre. One moment, then try again.",
        "正在向一卡通中心核验您的卡，请稍候再试。"),
    "other_city_card": ErrorCode(
        409, "This card of another city can show its balance and history here; other "
        "services at its own city's outlets.",
        "外地卡在本机可查询余额和交易记录，其他业务请到发卡城市办理。"),
    "card_busy": ErrorCode(
        409, "A cardholder session is using the card; read it when the session has ended.",
        "顾客正在办理业务，请稍后读卡"),
    "card_lost": ErrorCode(
        409, "This card cannot be used for this service.", "此卡不能办理该业务。"),
    "card_blacklisted": ErrorCode(
        409, "This card cannot be used for this service.", "此卡不能办理该业务。"),
    "card_expired": ErrorCode(
        409, "This card cannot be used for this service.", "此卡不能办理该业务。"),
    "session_busy": ErrorCode(409, "A transaction is still in progress.", "业务尚未完成。"),
    "wrong_step": ErrorCode(
        409, "No session is waiting for that.", "当前步骤不能执行该操作。"),
    "limit_reached": ErrorCode(
        409, "This card cannot take more today (limits or balance cap).",
        "此卡今日已达充值上限或余额上限。"),
    "cash_inserted": ErrorCode(
        409, "Cash is in: finish to load it.", "已投入现金，请点击完成进行充值。"),
    "no_pending_load": ErrorCode(
        409, "This card has no load waiting.", "此卡没有待圈存的金额。"),
    "load_in_progress": ErrorCode(
        409, "This load is being finished. Please try again in a moment.",
        "该笔圈存正在处理中，请稍后再试。"),
    "bill_already_paid": ErrorCode(409, "This bill is already paid.", "该账单已缴清。"),
    # the loss-report lifecycle (kioskd checks the card on screen before the centre does)
    "card_not_lost": ErrorCode(
        409, "This card has no loss report to cancel.", "此卡未挂失，无需解挂。"),
    "transfer_none": ErrorCode(
        409, "This card is not the replacement of a lost card: there is no balance to move.",
        "此卡不是挂失补办的新卡，没有可转移的余额。"),
    "transfer_not_yet": ErrorCode(
        409, "The old card's balance is still held; tap again when the hold ends.",
        "旧卡余额尚在保留期内，保留期满后请再次刷卡转入。"),
    "transfer_done": ErrorCode(
        409, "The old card's balance has already been moved to this card.",
        "旧卡余额已全部转入此卡。"),
    "maintenance": ErrorCode(503, "The kiosk is being serviced.", "终端维护中，暂停服务。"),
    # the central side, as kioskd sees it
    "central_offline": ErrorCode(
        503, "No connection to the card centre right now.", "暂时无法连接一卡通中心。"),
    "central_malformed": ErrorCode(
        502, "The card centre's answer could not be read.", "一卡通中心的应答无法读取。"),
    "clock_skew": ErrorCode(
        503, "Top-up and payments are paused: this kiosk's clock is wrong. Please use "
        "another kiosk.", "本终端时钟不准，充值和缴费暂停，请使用其他终端。"),
    # remote support: the UI's screenshot (admin.sock asks, kiosk.sock answers)
    "ui_no_answer": ErrorCode(
        504, "No UI answered: is the touchscreen UI (citycard-kiosk) running and connected "
        "to kioskd?", "界面程序未应答：请检查 citycard-kiosk 是否在运行并已连接 kioskd"),
    "bad_screenshot": ErrorCode(
        400, "The screenshot is not a PNG image within the size limits.",
        "截图不是符合大小限制的 PNG 图像"),
    "screenshot_unknown": ErrorCode(
        409, "No screenshot is waiting for this answer (already answered, or timed out).",
        "没有等待此应答的截图请求（已应答或已超时）"),
    # operator tools (admin.sock)
    "receipt_unknown": ErrorCode(404, "No such journaled receipt.", "没有这张收据"),
    "receipt_not_reprintable": ErrorCode(
        409, "This receipt cannot be printed again.", "此收据不能重打"),
    "unknown_sim_card": ErrorCode(404, "No such virtual card.", "没有这张模拟卡"),
    # the card layer (hardware/card/errors.py)
    "card_error": ErrorCode(
        _CARD_LAYER, "The card could not be read. Please tap again.", "读卡失败，请重新刷卡。"),
    "reader_unavailable": ErrorCode(
        503, "The card reader is not available.", "读卡器不可用。"),
    "card_removed": ErrorCode(
        _CARD_LAYER, "The card was taken away too early. Please tap again and hold it still.",
        "卡片过早移开，请重新刷卡并保持不动。"),
    "card_not_supported": ErrorCode(
        _CARD_LAYER, "This card is not supported here. Please use a city card.",
        "不支持此卡，请使用城市一卡通。"),
    "card_protocol": ErrorCode(
        _CARD_LAYER, "The card gave an answer the kiosk cannot read. Please tap again.",
        "卡片应答异常，请重新刷卡。"),
    "card_blocked": ErrorCode(
        _CARD_LAYER, "This card is blocked. Please visit a service outlet.",
        "此卡已锁定，请到服务网点办理。"),
    "card_security": ErrorCode(
        _CARD_LAYER, "The card asks for a verification this kiosk is not set up for.",
        "卡片要求的安全认证未配置，请联系工作人员。"),
    "card_conditions": ErrorCode(
        _CARD_LAYER, "The card refused the step. Please tap again.",
        "卡片拒绝当前操作，请重新刷卡。"),
    "card_mac_invalid": ErrorCode(
        _CARD_LAYER, "The card refused the transaction's security code.",
        "卡片校验交易安全码失败。"),
    "balance_too_low": ErrorCode(
        _CARD_LAYER, "The balance on the card is too low.", "卡内余额不足。"),
    "card_counter_exhausted": ErrorCode(
        _CARD_LAYER, "This card must be replaced. Please visit a service outlet.",
        "此卡需要更换，请到服务网点办理。"),
    "card_key_index": ErrorCode(
        _CARD_LAYER, "The kiosk is not configured for this card. Staff have been told.",
        "终端配置与此卡不符，已通知工作人员。"),
}
