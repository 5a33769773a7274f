"""Every word the cardholder reads, in 中文 and English, and money as yuan.

Pure Python (no Kivy), so the catalogue is tested on its own: every key has
both languages, and amounts are formatted from integer fen without floats.
"""

from __future__ import annotations

from protocol.money import format_fen

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
    "valid_until": ("有效期至", "Expires"),
    "status": ("状态", "Status"),
    "points": ("积分", "Points"),
    "pending_load": ("待圈存", "Waiting to load"),
    "recent": ("最近交易（卡内记录）", "Recent transactions (from the card)"),
    "no_records": ("卡内暂无交易记录", "No transactions on the card"),
    "central_offline": ("中心连接中断：以下为卡内信息，充值与缴费暂停",
                        "No connection to the card centre: card data only; "
                        "top-up and payments paused"),
    "clock_skewed": ("本终端时钟不准：以下为卡内信息，充值与缴费暂停，请使用其他终端",
                     "This kiosk's clock is wrong: card data only; top-up and payments "
                     "paused — please use another kiosk"),
    "other_city_card": ("{city}发行的卡：本机可办理{services}", "A card of {city}: here you can "
                        "use {services}"),
    "service_balance": ("余额查询", "balance"),
    "service_history": ("交易记录", "history"),
    "service_topup": ("现金充值", "top-up"),
    "and": ("和", " and "),
    "overdraft": ("透支", "Owed"),
    "notice_coming": ("（{start} 起）", "(from {start})"),
    "central_pending": ("正在查询中心信息…", "Checking with the card centre…"),
    "central_unknown_card": ("中心无此卡记录，请咨询客服",
                             "The card centre does not know this card"),
    "done": ("完成", "Done"),
    "top_up": ("现金充值", "Top up with cash"),
    "complete_pending": ("领取待圈存金额", "Load the waiting amount"),
    "transfer_held": ("旧卡 {old} 余额约 {amount}，保留期满（{day}）后可转入本卡",
                      "Old card {old}: about {amount}, transferable from {day}"),
    "transfer_offer": ("可从旧卡 {old} 转入 {amount}",
                       "Transfer {amount} from your old card {old}"),
    "transfer_go": ("转入旧卡余额", "Transfer now"),
    "loss_cancel_title": ("解挂（找回的卡）", "Cancel the loss report"),
    "loss_cancel_text": ("找回了挂失的卡？验证身份后即可恢复使用。",
                         "Found your card? Prove it is yours and it works again."),
    "loss_cancel_go": ("找回解挂", "Found it"),
    "loss_cancel_done": ("解挂成功", "Loss report cancelled"),
    "loss_cancel_done_text": ("挂失单 {no} 已撤销，此卡恢复使用。请取走凭条。",
                              "Loss report {no} is cancelled; the card works again. "
                              "Take your slip."),
    "dispute_go": ("非本人", "Not me"),
    "dispute_done": ("争议已受理", "Dispute filed"),
    "dispute_done_text": ("受理单号 {no}。请取走凭条，客服热线 {hotline}。",
                          "Ticket {no}. Take your slip; hotline {hotline}."),
    "dispute_offer_loss": ("如卡片可能被他人使用，建议立即挂失。",
                           "If someone else may be using the card, report it lost now."),
    "overdraft_owed": ("透支欠款 {amount}，现金充值将先偿还欠款，还清后自动解除黑名单。",
                       "Overdraft owed: {amount}. A cash top-up repays it first; the card "
                       "is unblocked once it is repaid."),
    "overdraft_repay": ("现金还款", "Repay with cash"),
    "blacklist_reason": ("停用原因：{reason}", "Reason: {reason}"),
    "reason_overdraft": ("透支未还", "unpaid overdraft"),
    "reason_fraud": ("涉嫌盗刷或欺诈", "suspected fraud"),
    "reason_other": ("一卡通中心限制使用", "restricted by the card centre"),
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
    "large_text": ("大字模式", "Large text"),
    "normal_text": ("标准字号", "Normal text"),
    "back": ("返回", "Back"),
    "ok": ("确定", "OK"),
    "next": ("下一步", "Next"),
    "more": ("更多", "More"),
    "close": ("关闭", "Close"),
    "key_clear": ("清空", "Clear"),
    "key_del": ("删除", "Delete"),
    "keypad_too_short": ("位数不足", "Too short"),
    "keypad_too_long": ("位数已满", "Too long"),
    "keypad_digits_only": ("只能输入数字", "Digits only"),
    "tile_topup": ("现金充值", "Top up"),
    "tile_bill": ("生活缴费", "Pay a bill"),
    "tile_history": ("交易查询", "History"),
    "tile_points": ("积分兑换", "Points"),
    "tile_pin": ("支付密码", "Payment password"),
    "tile_loss": ("挂失", "Report lost card"),
    "tile_feedback": ("投诉建议", "Feedback"),
    "tile_help": ("帮助", "Help"),
    "fare": ("票价", "fare"),
    "ride_discount": ("乘车优惠", "discount"),
    "transfer_discount": ("换乘优惠", "transfer"),
    "points_earned": ("积分 +{points}", "+{points} points"),
    "card_discount": ("优惠", "Rides"),
    "bus_free": ("公交免费", "bus free"),
    "metro_free": ("地铁免费", "metro free"),
    # {off}: in 中文 what is paid, in tenths (5折, 9.5折); in English the percent off
    "bus_off": ("公交{off}折", "bus -{off}%"),
    "metro_off": ("地铁{off}折", "metro -{off}%"),
    "transfer_off": ("换乘减{off}", "transfer -{off}"),
    "history_title": ("交易记录", "Transactions"),
    "history_empty": ("暂无记录", "No transactions"),
    "history_end": ("已显示全部记录", "That is everything"),
    "history_loading": ("正在查询…", "Looking it up…"),
    "print_statement": ("打印对账单", "Print a statement"),
    "statement_title": ("打印对账单：选择期间", "Print a statement: which period?"),
    "period_this_month": ("本月", "This month"),
    "period_last_month": ("上月", "Last month"),
    "period_last_3_months": ("最近3个月", "Last 3 months"),
    "period_last_30_days": ("最近30天", "Last 30 days"),
    "statement_printed": ("对账单已打印", "Statement printed"),
    "statement_summary": ("共 {count} 笔，期初 {opening}，期末 {closing}",
                          "{count} entries, opening {opening}, closing {closing}"),
    "topup_limits_title": ("请投入纸币或硬币", "Insert notes or coins"),
    "notes_in": ("已收：{notes}", "Received: {notes}"),
    "another_card": ("读卡区上是另一张卡：本次充值只给第一张卡",
                     "Another card is on the reader: this top-up is for the first card only"),
    "put_card_back_text": ("请放回卡号 {card} 的卡片", "Card {card}, please"),
    "voucher_printed": ("请取走凭条，凭条上有领取说明",
                        "Take your voucher: it says how to collect"),
    "topup_refused": ("充值未完成", "Top-up not completed"),
    "bill_utility_title": ("选择缴费项目", "Which bill?"),
    "utility_water": ("水费", "Water"),
    "utility_electricity": ("电费", "Electricity"),
    "utility_gas": ("燃气费", "Gas"),
    "bill_account_title": ("输入{utility}户号", "{utility} account number"),
    "bill_account_hint": ("6至20位数字，见账单右上角", "6 to 20 digits, top right of your bill"),
    "find_bill": ("查询账单", "Find the bill"),
    "bill_needs_pin": ("金额超过免密额度，需输入支付密码",
                       "Over the no-password limit: your payment password is needed"),
    "bill_failed": ("缴费未完成", "Bill not paid"),
    "account": ("户号", "Account"),
    "holder": ("户名", "Name"),
    "period": ("账期", "Period"),
    "pin_entry_title": ("请输入6位支付密码", "Enter your 6-digit payment password"),
    "pin_entry_hint": ("密码以圆点显示，不会打印或保存", "Shown as dots; never printed or kept"),
    "tries_left": ("还可尝试 {n} 次", "{n} tries left"),
    "locked_until": ("已锁定，{time} 后可再试", "Locked until {time}"),
    "points_title": ("积分兑换", "Redeem points"),
    "points_have": ("现有积分 {points}", "You have {points} points"),
    "points_rate": ("{step} 积分 = {value}，按 {step} 积分递增", "{step} points = {value}, "
                    "in steps of {step}"),
    "points_pick": ("选择兑换积分：", "How many points?"),
    "points_chosen": ("兑换 {points} 积分，充入 {value}", "Redeem {points} points for {value}"),
    "points_none": ("积分不足 {step}，暂不能兑换", "Fewer than {step} points: nothing to redeem"),
    "redeem": ("兑换并充入卡内", "Redeem onto the card"),
    "points_done": ("积分已兑换", "Points redeemed"),
    "pin_change_title": ("修改支付密码", "Change your payment password"),
    "pin_rule": ("新密码为6位数字，不能全部相同，也不能是连续数字（如123456）",
                 "6 digits; not all the same and not a run such as 123456"),
    "pin_old": ("请输入原密码", "Current password"),
    "pin_new": ("请输入新密码", "New password"),
    "pin_confirm": ("请再次输入新密码", "New password again"),
    "pin_mismatch": ("两次输入的新密码不一致，请重新输入", "The two new passwords differ: "
                     "enter the new one again"),
    "pin_set_title": ("设置支付密码", "Set a payment password"),
    "pin_set_id": ("请输入身份证号后6位（X 按 X 键）", "Last 6 of your ID number (X key for X)"),
    "pin_done": ("支付密码已设置", "Payment password set"),
    "pin_done_text": ("大额缴费和打印对账单时需要输入", "You will need it for larger bills "
                      "and statements"),
    "loss_title": ("卡片挂失", "Report a lost card"),
    "loss_card_no": ("请输入卡面印刷的卡号（19位或20位，卡背面）",
                     "The card number as printed on the back (19 or 20 digits)"),
    "loss_proof": ("请选择身份验证方式", "How will you prove it is yours?"),
    "proof_id": ("身份证后6位", "Last 6 of ID"),
    "proof_pin": ("支付密码", "Payment password"),
    "loss_confirm_title": ("确认挂失？", "Report this card lost?"),
    "loss_confirm_text": ("挂失后此卡立即停止使用，不能再充值或消费。卡内余额保留在中心，"
                          "补办新卡后可转入新卡。", "The card stops working at once: no more "
                          "top-ups or payments. Its balance is kept by the card centre and "
                          "moves to a replacement card."),
    "loss_confirm": ("确认挂失", "Report it lost"),
    "loss_done": ("挂失成功", "Card reported lost"),
    "loss_done_text": ("挂失单号 {no}。请取走凭条，携带身份证到服务网点补办新卡。",
                       "Report {no}. Take your slip and your ID to a service centre "
                       "for a replacement card."),
    "feedback_title": ("投诉建议：选择类别", "Feedback: what is it about?"),
    "fb_card": ("卡片", "The card"), "fb_top_up": ("充值", "Top-up"),
    "fb_bill_payment": ("缴费", "Bill payment"), "fb_kiosk_fault": ("终端故障", "Kiosk fault"),
    "fb_receipt": ("凭条", "Receipt"), "fb_service": ("服务", "Service"),
    "fb_other": ("其他", "Other"),
    "feedback_message": ("选择您想说的话", "Choose what to tell us"),
    "canned_1": ("操作不方便", "Hard to use"),
    "canned_2": ("设备有故障", "Something is broken"),
    "canned_3": ("金额不对", "An amount is wrong"),
    "canned_4": ("表扬与建议", "Praise or a suggestion"),
    "feedback_phone": ("留下手机号以便回复（可跳过）", "Your mobile number for a reply "
                       "(optional)"),
    "skip": ("跳过", "Skip"),
    "send": ("提交", "Send"),
    "feedback_done": ("已收到您的意见", "Thank you"),
    "feedback_done_text": ("工单号 {no}，请取走凭条。", "Ticket {no}: take your slip."),
    "help_title": ("帮助", "Help"),
    "help_hotline_text": ("服务热线 {hotline}，全天24小时", "Call {hotline}, any time, day "
                          "or night"),
    "card_lost_title": ("此卡已挂失", "This card is reported lost"),
    "card_lost_next": ("卡内余额已保留。请携带身份证到服务网点补办新卡。",
                       "Its balance is kept. Take your ID to a service centre for a "
                       "replacement card."),
    "card_blacklisted_title": ("此卡已停用", "This card is blocked by the issuer"),
    "card_blacklisted_next": ("请携带身份证到服务网点办理。",
                              "Take your ID to a service centre."),
    "card_expired_title": ("此卡已过期", "This card has expired"),
    "card_expired_next": ("请到服务网点换卡，余额将转入新卡。",
                          "Exchange it at a service centre; the balance moves to the new card."),
    "card_blocked_title": ("此卡已锁定", "This card is locked"),
    "card_blocked_next": ("卡片芯片已锁定，请到服务网点检测。",
                          "The card's chip is locked: a service centre can check it."),
    "not_our_card_title": ("不支持此卡", "Not a city card"),
    "not_our_card_next": ("请使用城市一卡通。银行卡和其他城市的卡不能在此使用。",
                          "Please use a city card. Bank cards and other cities' cards "
                          "do not work here."),
    "read_failed_title": ("读卡失败", "The card could not be read"),
    "read_failed_next": ("请将卡片平放在读卡区，保持不动，再试一次。",
                         "Lay the card flat on the reader, keep it still and try again."),
    "idle_title": ("还在吗？", "Still there?"),
    "idle_text": ("{s} 秒后返回首页", "Back to the start in {s} s"),
    "continue": ("继续使用", "Continue"),
    "daemon_unavailable": ("终端暂时无法处理，请稍候再试", "The kiosk could not do that just "
                           "now; please try again"),
    "refused": ("未能完成", "Not done"),
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
    "transit": ("乘车", "Ride"), "ride": ("乘车", "Ride"),
    "passbook_load": ("存折圈存", "Passbook load"), "bill_payment": ("缴费", "Bill payment"),
    "points_load": ("积分兑换", "Points"), "refund": ("退款", "Refund"),
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


def format_yuan(fen: int, *, sign: bool = False) -> str:
    """Integer fen as yuan: 8650 → "¥86.50", -370 → "-¥3.70" — the receipts' formatter
    (protocol.money), so the screen and the paper show a sum alike. No floats anywhere."""
    return format_fen(fen, sign=sign)
