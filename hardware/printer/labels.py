"""Every word printed on a receipt, in Chinese and English.

One table, so a translator sees all of it in one place and a test can check
that no key is missing a language.
"""

from __future__ import annotations

__all__ = ["LABELS", "LANGUAGES", "label"]

LANGUAGES = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    # titles
    "title.topup": ("充值凭条", "TOP-UP RECEIPT"),
    "title.pending": ("待圈存凭证", "PENDING LOAD VOUCHER"),
    "title.refund": ("退款凭证", "REFUND VOUCHER"),
    "title.bill": ("缴费凭条", "BILL PAYMENT"),
    "title.loss": ("挂失凭条", "LOSS REPORT"),
    "title.feedback": ("意见反馈回执", "FEEDBACK TICKET"),
    "title.statement": ("账户对账单", "ACCOUNT STATEMENT"),
    "title.collection": ("钱箱清点单", "CASHBOX COLLECTION"),
    "title.settlement": ("日结报表（Z）", "DAILY SETTLEMENT (Z)"),
    "title.test": ("打印机测试页", "PRINTER TEST PAGE"),
    "title.loss_cancel": ("解挂凭条", "LOSS REPORT CANCELLED"),
    "title.transfer": ("余额转移凭条", "BALANCE TRANSFER"),
    "title.dispute": ("交易争议受理单", "DISPUTED TRANSACTION"),
    "title.repayment": ("透支还款凭条", "OVERDRAFT REPAYMENT"),
    # common
    "kiosk": ("终端号", "Kiosk"),
    "site": ("地点", "Location"),
    "time": ("时间", "Time"),
    "reference": ("流水号", "Reference"),
    "card": ("卡号", "Card"),
    "amount": ("金额", "Amount"),
    "hotline": ("客服热线", "Hotline"),
    "keep": ("请妥善保管本凭条", "Please keep this receipt"),
    "reprint_mark": ("*** 重印 ***", "*** REPRINT ***"),
    "reprinted_at": ("重印时间", "Reprinted"),
    # top-up
    "cash_in": ("投入现金", "Cash inserted"),
    "notes": ("纸币/硬币", "Notes/coins"),
    "topup_amount": ("充值金额", "Amount loaded"),
    "balance_before": ("充值前余额", "Balance before"),
    "balance_after": ("充值后余额", "Balance after"),
    "card_tx": ("卡交易序号", "Card txn no."),
    "tac": ("TAC", "TAC"),
    # pending load
    "pending_amount": ("待圈存金额", "Amount pending"),
    "reason": ("原因", "Reason"),
    "reason.walked_away": ("充值未完成，卡已离开", "Top-up not finished"),
    "reason.refused": ("中心拒绝充值", "Refused by the card centre"),
    "reason.restart": ("终端重启，充值未完成", "The kiosk restarted before the load"),
    "reason.card_removed": ("写卡时卡片移开", "Card removed while loading"),
    "reason.offline": ("中心暂时无法连接", "Central system unreachable"),
    "valid_until": ("有效期至", "Valid until"),
    "pending_howto": (
        "请持本卡在任一自助终端刷卡，在卡片页面点击领取待圈存金额。",
        "Tap this card at any kiosk and choose \"Load the waiting amount\".",
    ),
    "refund_howto": (
        "中心未接受本次充值。请保留本凭条，联系客服或到服务网点退还现金。",
        "The card centre did not accept this top-up. Keep this voucher: "
        "the hotline or a service outlet will refund your cash.",
    ),
    # refund voucher
    "refund_amount": ("应退金额", "Amount to refund"),
    "refund_loaded": ("其中充值", "Of which for the card"),
    "reason.over_limit": ("超出充值限额", "Over the load limit"),
    "refund_howto.over_limit": (
        "超出限额的现金未充入卡内。请保留本凭条，联系客服或到服务网点退还现金。",
        "The cash over the load limit was not loaded. Keep this voucher: "
        "the hotline or a service outlet will refund it.",
    ),
    # bill
    "payee": ("收款单位", "Payee"),
    "bill.water": ("水费", "Water"),
    "bill.electricity": ("电费", "Electricity"),
    "bill.gas": ("燃气费", "Gas"),
    "bill_type": ("缴费类型", "Bill"),
    "account_no": ("户号", "Account no."),
    "holder": ("户名", "Name"),
    "period": ("账期", "Period"),
    "paid": ("实缴金额", "Amount paid"),
    "balance_after_payment": ("缴费后余额", "Balance after payment"),
    # loss
    "reported_at": ("挂失时间", "Reported at"),
    "loss_done": (
        "本卡已挂失，卡内余额已冻结。",
        "This card is reported lost and its balance frozen.",
    ),
    "loss_next": (
        "请携带有效证件到以下服务网点补办新卡：",
        "Take your ID to a service outlet for a replacement card:",
    ),
    # loss-report lifecycle
    "report_no": ("挂失单号", "Loss report no."),
    "cancelled_at": ("解挂时间", "Cancelled at"),
    "loss_cancelled": (
        "本卡已解挂，即时恢复充值、消费等全部功能。",
        "The loss report is cancelled: the card works again at once.",
    ),
    "old_card": ("原卡（已挂失）", "Old card (lost)"),
    "new_card": ("新卡", "New card"),
    "transferred": ("转入金额", "Amount moved"),
    "transfer_left": ("原卡剩余待转", "Still to move"),
    "transfer_left_note": (
        "超出余额上限的部分保留在原卡名下，可在新卡余额减少后再次转入。",
        "What did not fit under the balance cap stays transferable for a later tap.",
    ),
    # overdraft repayment
    "owed_before": ("原欠款", "Overdraft owed"),
    "repaid": ("本次还款", "Repaid"),
    "owed_after": ("尚欠", "Still owed"),
    "blacklist_lifted": ("欠款已还清，此卡已移出黑名单，恢复使用。",
                         "Repaid in full: the card is off the blacklist and works again."),
    "blacklist_stays": ("欠款未还清，此卡仍暂停使用。",
                        "Not yet repaid in full: the card stays blocked."),
    # disputes
    "disputed_tx": ("争议交易", "Transaction"),
    "disputed_ref": ("交易参考号", "Transaction ref."),
    "dispute_next": (
        "已受理您的争议申请，我们将在5个工作日内联系您。如卡片丢失请立即挂失。",
        "Your dispute is filed; we contact you within 5 working days. If the card "
        "is lost, report it lost now.",
    ),
    "dispute_loss": ("已同时挂失此卡", "The card was also reported lost"),
    # feedback
    "ticket_no": ("回执编号", "Ticket no."),
    "category": ("类别", "Category"),
    "phone": ("联系电话", "Phone"),
    "feedback_next": (
        "我们将在3个工作日内回复，查询请提供回执编号。",
        "We reply within 3 working days; quote the ticket number.",
    ),
    # the categories the local API takes (daemon.account.FEEDBACK_CATEGORIES)
    "feedback.card": ("卡片问题", "Card"),
    "feedback.top_up": ("充值问题", "Top-up"),
    "feedback.bill_payment": ("缴费问题", "Bill payment"),
    "feedback.kiosk_fault": ("终端故障", "Kiosk fault"),
    "feedback.receipt": ("凭条问题", "Receipt"),
    "feedback.service": ("服务质量", "Service"),
    "feedback.other": ("其他", "Other"),
    # statement
    "from": ("起始日期", "From"),
    "to": ("截止日期", "To"),
    "opening": ("期初余额", "Opening balance"),
    "closing": ("期末余额", "Closing balance"),
    "credits": ("收入合计", "Total in"),
    "debits": ("支出合计", "Total out"),
    "count": ("笔数", "Transactions"),
    "ride_discounts": ("乘车优惠合计", "Ride discounts"),
    "transfer_discounts": ("换乘优惠合计", "Transfer discounts"),
    "points_earned": ("获得积分", "Points earned"),
    "balance": ("余额", "bal."),
    "no_tx": ("本期无交易", "No transactions in this period"),
    # statement kinds: the central side's transaction kinds, rides by mode
    "kind.ride": ("乘车", "Ride"),
    "kind.bus": ("公交", "Bus"),
    "kind.metro": ("地铁", "Metro"),
    "kind.load": ("充值", "Load"),
    "kind.purchase": ("消费", "Purchase"),
    "kind.bill_payment": ("缴费", "Bill payment"),
    "kind.bill": ("缴费", "Bill payment"),
    "kind.points": ("积分", "Points"),
    "kind.refund": ("退款", "Refund"),
    "kind.discount": ("优惠", "Discount"),
    "kind.other": ("其他", "Other"),
    "discount_of": ("优惠", "discount"),
    "fare_of": ("票价", "fare"),
    "ride_discount_of": ("乘车优惠", "ride discount"),
    "transfer_discount_of": ("换乘优惠", "transfer discount"),
    "points_unit": ("积分", "points"),
    "points_redeemed": ("积分兑换", "points redeemed"),
    # cashbox collection
    "collected_at": ("清点时间", "Collected at"),
    "previous": ("上次清点", "Previous"),
    "operator": ("操作员", "Operator"),
    "pieces": ("张/枚", "pcs"),
    "unidentified": ("未识别", "Unidentified"),
    "total": ("合计", "Total"),
    "since_install": ("累计（自安装）", "Since install"),
    "signature": ("签字：", "Signature:"),
    # settlement
    "z_number": ("Z报表号", "Z number"),
    "business_date": ("营业日", "Business date"),
    "generated": ("生成时间", "Generated"),
    "cash_section": ("现金", "Cash"),
    "loads_credited": ("已写卡充值", "Loads credited"),
    "loads_pending": ("待圈存", "Loads pending"),
    "loads_owed": ("应退现金", "Owed (refund)"),
    "unattributed_cash": ("无归属现金", "Unattributed cash"),
    "reconcile": ("现金 = 已写卡 + 待圈存", "Cash = credited + pending"),
    "reconcile_all": ("现金 = 已写卡 + 待圈存 + 应退 + 无归属",
                      "Cash = credited + pending + owed + unattributed"),
    "reconcile_ok": ("平衡", "BALANCED"),
    "reconcile_bad": ("不平衡，差额", "MISMATCH, difference"),
    "bills": ("缴费（卡内扣款）", "Bills (from card)"),
    "points_loads": ("积分兑换充值", "Points loads"),
    "transfer_loads": ("旧卡余额转入", "Balance transfers"),
    "unrecognised_cash": ("未识别现金", "Unrecognised cash"),
    # test page
    "backend": ("接口", "Backend"),
    "paper": ("纸宽", "Paper"),
    "columns": ("每行字符", "Columns"),
    "chinese_mode": ("中文模式", "Chinese mode"),
    "status": ("状态", "Status"),
    "sample_zh": ("中文示例：城市一卡通自助终端", "Chinese sample: 城市一卡通自助终端"),
    "sample_en": ("English sample: CityCard kiosk", "English sample: CityCard kiosk"),
    "ruler": ("标尺", "Ruler"),
}


def label(key: str, language: str) -> str:
    zh, en = LABELS[key]
    return zh if language == "zh" else en
