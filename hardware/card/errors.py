"""The card layer's errors, and the one table that maps status words to them.

Everything nfcpy can raise is translated into these at the reader boundary
(:mod:`hardware.card.nfc_reader`), so nothing from ``nfc`` reaches the daemon::

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

``code``, ``message`` and ``message_zh`` are what a cardholder screen shows;
each class names its code, and the messages are the code's in the one error
catalogue (:data:`protocol.errors.LOCAL`), which the local API answers with too.
"""

from __future__ import annotations

from hardware.errors import HardwareError
from protocol.errors import LOCAL

__all__ = [
    "SW_ERRORS", "CardBlocked", "CardError", "CardNotSupported", "CardProtocolError",
    "CardRemoved", "CardStatusError", "ConditionsNotSatisfied", "CounterExhausted",
    "InsufficientFunds", "KeyIndexUnsupported", "MacInvalid", "ReaderUnavailable",
    "SecurityNotSatisfied", "error_for_status",
]


class CardError(HardwareError):
    """A card operation failed; ``code`` is stable, the messages are for the screen."""

    code = "card_error"
    message = LOCAL["card_error"].message
    message_zh = LOCAL["card_error"].message_zh

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        entry = LOCAL[cls.code]  # a KeyError here: a code missing from the catalogue
        cls.message, cls.message_zh = entry.message, entry.message_zh

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.message)
        self.detail = detail


class ReaderUnavailable(CardError):
    code = "reader_unavailable"


class CardRemoved(CardError):
    code = "card_removed"


class CardNotSupported(CardError):
    code = "card_not_supported"


class CardProtocolError(CardError):
    code = "card_protocol"


class CardStatusError(CardError):
    """The card refused a command with status word ``sw``."""

    def __init__(self, sw: int, detail: str = "") -> None:
        super().__init__(detail or f"status word {sw:04X}")
        self.sw = sw


class CardBlocked(CardStatusError):
    code = "card_blocked"

    def __init__(self, sw: int, detail: str = "", *, card_no: str | None = None) -> None:
        super().__init__(sw, detail)
        self.card_no = card_no


class SecurityNotSatisfied(CardStatusError):
    code = "card_security"


class ConditionsNotSatisfied(CardStatusError):
    code = "card_conditions"


class MacInvalid(CardStatusError):
    code = "card_mac_invalid"


class InsufficientFunds(CardStatusError):
    code = "balance_too_low"


class CounterExhausted(CardStatusError):
    code = "card_counter_exhausted"


class KeyIndexUnsupported(CardStatusError):
    code = "card_key_index"


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
