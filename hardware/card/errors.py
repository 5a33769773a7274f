"""The card layer's errors, and the one table that maps status words to them.

Everything nfcpy can raise is translated into these at the reader boundary
(:mod:`hardware.card.nfcio`), so nothing from ``nfc`` reaches the daemon::

    HardwareError
    └── CardError                      code, message, message_zh
        ├── ReaderUnavailable          the reader is unplugged or will not open
        ├── CardRemoved                the card left the field (or a tear)
        ├── CardNotSupported           not one of our applications
        ├── CardProtocolError          a malformed or unexpected answer
        └── CardStatusError            the card answered a status word (``sw``)
            ├── CardBlocked            6283, 6A81, 9303
            ├── SecurityNotSatisfied   6982
            ├── ConditionsNotSatisfied 6985
            ├── MacInvalid             9302
            ├── InsufficientFunds      9401
            ├── CounterExhausted       9402
            └── KeyIndexUnsupported    9403

``code``, ``message`` and ``message_zh`` are what a cardholder screen shows.
"""

from __future__ import annotations

from hardware.errors import HardwareError

__all__ = [
    "SW_ERRORS", "CardBlocked", "CardError", "CardNotSupported", "CardProtocolError",
    "CardRemoved", "CardStatusError", "ConditionsNotSatisfied", "CounterExhausted",
    "InsufficientFunds", "KeyIndexUnsupported", "MacInvalid", "ReaderUnavailable",
    "SecurityNotSatisfied", "error_for_status",
]


class CardError(HardwareError):
    """A card operation failed; ``code`` is stable, the messages are for the screen."""

    code = "card_error"
    message = "The card could not be read. Please tap again."
    message_zh = "读卡失败，请重新刷卡。"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.message)
        self.detail = detail


class ReaderUnavailable(CardError):
    code = "reader_unavailable"
    message = "The card reader is not available."
    message_zh = "读卡器不可用。"


class CardRemoved(CardError):
    code = "card_removed"
    message = "The card was taken away too early. Please tap again and hold it still."
    message_zh = "卡片过早移开，请重新刷卡并保持不动。"


class CardNotSupported(CardError):
    code = "card_not_supported"
    message = "This card is not supported here. Please use a city card."
    message_zh = "不支持此卡，请使用城市一卡通。"


class CardProtocolError(CardError):
    code = "card_protocol"
    message = "The card gave an answer the kiosk cannot read. Please tap again."
    message_zh = "卡片应答异常，请重新刷卡。"


class CardStatusError(CardError):
    """The card refused a command with status word ``sw``."""

    def __init__(self, sw: int, detail: str = "") -> None:
        super().__init__(detail or f"status word {sw:04X}")
        self.sw = sw


class CardBlocked(CardStatusError):
    code = "card_blocked"
    message = "This card is blocked. Please visit a service outlet."
    message_zh = "此卡已锁定，请到服务网点办理。"

    def __init__(self, sw: int, detail: str = "", *, card_no: str | None = None) -> None:
        super().__init__(sw, detail)
        self.card_no = card_no


class SecurityNotSatisfied(CardStatusError):
    code = "card_security"
    message = "The card asks for a verification this kiosk is not set up for."
    message_zh = "卡片要求的安全认证未配置，请联系工作人员。"


class ConditionsNotSatisfied(CardStatusError):
    code = "card_conditions"
    message = "The card refused the step. Please tap again."
    message_zh = "卡片拒绝当前操作，请重新刷卡。"


class MacInvalid(CardStatusError):
    code = "card_mac_invalid"
    message = "The card refused the transaction's security code."
    message_zh = "卡片校验交易安全码失败。"


class InsufficientFunds(CardStatusError):
    code = "balance_too_low"
    message = "The balance on the card is too low."
    message_zh = "卡内余额不足。"


class CounterExhausted(CardStatusError):
    code = "card_counter_exhausted"
    message = "This card must be replaced. Please visit a service outlet."
    message_zh = "此卡需要更换，请到服务网点办理。"


class KeyIndexUnsupported(CardStatusError):
    code = "card_key_index"
    message = "The kiosk is not configured for this card. Staff have been told."
    message_zh = "终端配置与此卡不符，已通知工作人员。"


# The one table: status word -> error class. 9000, 61xx, 6Cxx, 6A82 (try the
# next application) and 6A83 (end of the log) are handled where they occur.
SW_ERRORS: dict[int, type[CardStatusError]] = {
    0x6283: CardBlocked,
    0x6A81: CardBlocked,
    0x9303: CardBlocked,
    0x6982: SecurityNotSatisfied,
    0x6985: ConditionsNotSatisfied,
    0x9302: MacInvalid,
    0x9401: InsufficientFunds,
    0x9402: CounterExhausted,
    0x9403: KeyIndexUnsupported,
}


def error_for_status(sw: int, what: str) -> CardStatusError:
    """The error for status word ``sw`` answered to command ``what``."""
    cls = SW_ERRORS.get(sw, CardStatusError)
    return cls(sw, f"{what}: status word {sw:04X}")
