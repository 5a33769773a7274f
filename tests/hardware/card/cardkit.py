"""What the card-layer tests share: the development keys, a personalised virtual
card, and an EPurse over a real nfcpy frontend with the fake driver under it."""

from __future__ import annotations

from typing import Any

import nfc

from hardware.card.epurse import EPurse
from hardware.card.isodep import DEFAULT_ATS
from hardware.card.nfc_device import FieldCard, SimulatedDevice
from hardware.card.nfc_reader import TagChannel
from hardware.card.virtual import CardState, Faults, VirtualCard
from hardware.card.wallet import DEV_KEYS_FILE
from protocol.pboc.secure import IssuerKeys

KEYS = IssuerKeys.from_file(DEV_KEYS_FILE)
T_UNION = "A000000632010105"
CITY_UNION = "A00000000386980701"
AIDS = [T_UNION, CITY_UNION]
ZHANG = "03104440300000100017"
TERMINAL = bytes.fromhex("440300000001")


def card(card_no: str = ZHANG, *, faults: Faults | None = None, **state: Any) -> VirtualCard:
    return VirtualCard(CardState.from_json({"card_no": card_no, **state}), KEYS, faults=faults,
                       random=lambda n: bytes.fromhex("11223344")[:n])


class Direct:
    """An EPurse channel straight into the virtual card (no RF, no nfcpy)."""

    def __init__(self, vc: VirtualCard) -> None:
        self.card = vc

    def transmit(self, command: bytes) -> bytes:
        return self.card.process(command)


def direct(vc: VirtualCard, **kwargs: Any) -> EPurse:
    return EPurse(Direct(vc), aids=AIDS, **kwargs)


def over_nfc(vc: VirtualCard, *, ats: bytes = DEFAULT_ATS, max_inf: int = 253,
             wtx_above_ms: float | None = None,
             device: SimulatedDevice | None = None) -> tuple[EPurse, Any, SimulatedDevice]:
    """An EPurse over nfcpy's own activation and ISO-DEP, the card in the field."""
    dev = device or SimulatedDevice()
    dev.place(FieldCard.of(vc, ats=ats, max_inf=max_inf, wtx_above_ms=wtx_above_ms))
    clf = nfc.ContactlessFrontend()
    clf.device = dev
    tag = clf.connect(rdwr={"targets": ["106A"], "on-connect": lambda t: False,
                            "iterations": 1, "beep-on-connect": False})
    assert tag is not None and tag is not False, "no tag activated"
    return EPurse(TagChannel(tag), aids=AIDS), tag, dev
