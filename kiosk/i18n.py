"""Every word the cardholder reads, in 中文 and English, and money as yuan.

Pure Python (no Kivy), so the catalogue is tested on its own: every key has
both languages, and amounts are formatted from integer fen without floats.
"""

from __future__ import annotations

__all__ = ["CARD_TYPES", "LANGUAGES", "STRINGS", "format_yuan", "t"]

LANGUAGES = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    "title": ("城市一卡通自助服务", "CityCard Self-Service"),
    "switch_language": ("English", "中文"),
    "tap_card": ("请刷卡", "Tap your card"),
    "tap_card_hint": ("将城市一卡通放在下方读卡区", "Place your city card on the reader below"),
    "reading": ("正在读卡，请勿移开卡片", "Reading your card — keep it still"),
    "card_title": ("卡片信息", "Your card"),
    "card_no": ("卡号", "Card number"),
    "balance": ("余额", "Balance"),
    "card_type": ("卡类型", "Card type"),
    "validity": ("有效期", "Valid"),
    "status": ("状态", "Status"),
    "points": ("积分", "Points"),
    "pending_load": ("待圈存", "Waiting to load"),
    "recent": ("最近交易（卡内记录）", "Recent transactions (from the card)"),
    "no_records": ("卡内暂无交易记录", "No transactions on the card"),
    "central_offline": ("中心连接中断：以下为卡内信息，充值与缴费暂停",
                        "No connection to the card centre: card data only; "
                        "top-up and payments paused"),
    "central_pending": ("正在查询中心信息…", "Checking with the card centre…"),
    "central_unknown_card": ("中心无此卡记录，请咨询客服",
                             "The card centre does not know this card"),
    "done": ("完成", "Done"),
    "top_up": ("现金充值", "Top up with cash"),
    "complete_pending": ("领取待圈存金额", "Load the waiting amount"),
    "finish": ("投币完成，开始充值", "Finished — load it"),
    "cancel": ("取消", "Cancel"),
    "insert_notes": ("请投入纸币或硬币", "Insert notes or coins"),
    "inserted": ("已投入", "Inserted"),
    "can_add": ("还可投入", "You can still add"),
    "limits": ("单笔上限 {single}，今日可充 {daily}，卡内上限 {cap}",
               "Limit per top-up {single}, left today {daily}, card maximum {cap}"),
    "put_card_back": ("请将卡片放回读卡区", "Put your card back on the reader"),
    "loading": ("正在充值，请勿移开卡片", "Loading — keep the card on the reader"),
    "paying": ("正在缴费，请勿移开卡片", "Paying — keep the card on the reader"),
    "topup_done": ("充值成功", "Top-up complete"),
    "bill_done": ("缴费成功", "Bill paid"),
    "new_balance": ("卡内余额", "New balance"),
    "receipt_printed": ("请取走凭条", "Please take your receipt"),
    "receipt_not_printed": ("凭条未能打印，参考号 {ref}",
                            "Receipt could not be printed — reference {ref}"),
    "pending_title": ("充值待完成", "Load pending"),
    "pending_text": ("金额已为此卡保存在中心，下次刷卡时可在任一终端领取。请保留凭条。",
                     "The amount is held for your card: tap it at any kiosk to load it. "
                     "Keep your voucher."),
    "bill_title": ("缴费", "Pay a bill"),
    "amount_due": ("应缴金额", "Amount due"),
    "pay": ("确认缴费", "Pay"),
    "failed": ("业务未完成", "Not completed"),
    "card_error_title": ("无法读取此卡", "This card cannot be used"),
    "maintenance_title": ("维护中，暂停服务", "Under maintenance"),
    "out_of_service": ("暂停服务", "Out of service"),
    "out_of_service_text": ("终端正在恢复，请稍候或使用其他终端",
                            "The kiosk is recovering — please wait or use another kiosk"),
    "reference": ("参考号", "Reference"),
}

CARD_TYPES: dict[str, tuple[str, str]] = {
    "ordinary": ("普通卡", "Ordinary"), "student": ("学生卡", "Student"),
    "senior": ("老年卡", "Senior"), "concession": ("优惠卡", "Concession"),
    "staff": ("员工卡", "Staff"), "unknown": ("未知", "Unknown"), "other": ("其他", "Other"),
}

CARD_STATUS: dict[str, tuple[str, str]] = {
    "active": ("正常", "Active"), "lost": ("已挂失", "Reported lost"),
    "blacklisted": ("已停用", "Blocked by the issuer"), "expired": ("已过期", "Expired"),
    "blocked": ("已锁定", "Blocked"), "unknown": ("未知", "Unknown"),
}

RECORD_KINDS: dict[str, tuple[str, str]] = {
    "load": ("充值", "Top-up"), "purchase": ("消费", "Purchase"),
    "transit": ("乘车", "Ride"), "passbook_load": ("存折圈存", "Passbook load"),
    "other": ("其他", "Other"),
}


def _pick(pair: tuple[str, str], language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    return pair[LANGUAGES.index(language)]


def t(key: str, language: str, **values: object) -> str:
    """The text for ``key`` in ``language``, with ``{name}`` fields filled in."""
    text = _pick(STRINGS[key], language)
    return text.format(**values) if values else text


def label(table: dict[str, tuple[str, str]], key: str, language: str) -> str:
    """A card type / status / record kind name; an unknown key shows as itself."""
    return _pick(table[key], language) if key in table else key


def format_yuan(fen: int) -> str:
    """Integer fen as yuan: 8650 → "¥86.50", -370 → "-¥3.70". No floats anywhere."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"amounts are integer fen, not {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"
