"""A fake nfcpy device driver with a virtual card in its field.

:class:`SimulatedDevice` subclasses ``nfc.clf.device.Device`` and is set as a
``ContactlessFrontend``'s device, so nfcpy's own sensing, Type 4 activation
(RATS) and ISO-DEP code run unchanged against :class:`~hardware.card.isodep.IsoDepCard`
and :class:`~hardware.card.virtual.VirtualCard`. It models what a reader does
that tests need: a card entering and leaving the field, a tear (the answer is
lost, the card gone), and the reader being unplugged (``IOError``).
"""

from __future__ import annotations

import errno
import logging
import threading
from dataclasses import dataclass

import nfc.clf
import nfc.clf.device

from hardware.card.isodep import DEFAULT_ATS, Deselected, IsoDepCard
from hardware.card.virtual import Torn, VirtualCard

__all__ = ["FieldCard", "SimulatedDevice"]

logger = logging.getLogger(__name__)

_SEL_RES = {"epurse": 0x20, "foreign_isodep": 0x20, "mifare": 0x08}


@dataclass
class FieldCard:
    """A virtual card as the reader's field sees it."""

    card: VirtualCard
    iso: IsoDepCard

    @classmethod
    def of(cls, card: VirtualCard, *, ats: bytes = DEFAULT_ATS, max_inf: int = 253,
           wtx_above_ms: float | None = None) -> FieldCard:
        def slow(command: bytes) -> bool:
            if wtx_above_ms is None or len(command) < 2:
                return False
            lat = card.faults.latency_ms
            return float(lat.get(command[1], lat.get("*", 0))) > wtx_above_ms
        return cls(card, IsoDepCard(card.process, ats=ats, max_inf=max_inf, slow=slow))


class SimulatedDevice(nfc.clf.device.Device):  # type: ignore[misc]
    """An nfcpy device whose field holds at most one :class:`FieldCard`."""

    def __init__(self, *, max_send: int = 256, max_recv: int = 256) -> None:
        self._lock = threading.Lock()
        self._card: FieldCard | None = None
        self._plugged = True
        self._max_send = max_send
        self._max_recv = max_recv
        self.senses = 0

    # -- what the simulator does --------------------------------------------------------
    def place(self, card: FieldCard | None) -> None:
        """Put ``card`` in the field (None: take whatever is there away)."""
        with self._lock:
            if card is not None:
                card.card.reset()
                card.iso.reset()
            self._card = card

    @property
    def card(self) -> FieldCard | None:
        return self._card

    def unplug(self) -> None:
        self._plugged = False

    def replug(self) -> None:
        self._plugged = True

    @property
    def plugged(self) -> bool:
        return self._plugged

    # -- nfc.clf.device.Device ----------------------------------------------------------
    @property
    def vendor_name(self) -> str:
        return "CityCard"

    @property
    def product_name(self) -> str:
        return "Simulated Reader"

    @property
    def path(self) -> str:
        return "sim"

    def _check_plugged(self) -> None:
        if not self._plugged:
            raise OSError(errno.ENODEV, "simulated reader unplugged")

    def close(self) -> None:
        self._card_off()

    def mute(self) -> None:
        self._check_plugged()
        self._card_off()

    def _card_off(self) -> None:
        with self._lock:  # the field goes off: the card forgets its session
            if self._card is not None:
                self._card.card.reset()
                self._card.iso.reset()

    def sense_tta(self, target: nfc.clf.RemoteTarget) -> nfc.clf.RemoteTarget | None:
        self._check_plugged()
        self.senses += 1
        with self._lock:
            field = self._card
        if field is None:
            return None
        state = field.card.state
        uid = bytes.fromhex(state.uid)
        if target.sel_req and bytes(target.sel_req) != uid:
            return None
        return nfc.clf.RemoteTarget("106A", sens_res=b"\x04\x00", sdd_res=uid,
                                    sel_res=bytes([_SEL_RES.get(state.kind, 0x20)]))

    def sense_ttb(self, target: nfc.clf.RemoteTarget) -> None:
        self._check_plugged()
        return None  # the virtual cards are all Type A

    def sense_ttf(self, target: nfc.clf.RemoteTarget) -> None:
        self._check_plugged()
        return None

    def sense_dep(self, target: nfc.clf.RemoteTarget) -> None:
        self._check_plugged()
        return None

    def send_cmd_recv_rsp(self, target: nfc.clf.RemoteTarget, data: bytes,
                          timeout: float) -> bytearray:
        self._check_plugged()
        with self._lock:
            field = self._card
        if field is None:
            raise nfc.clf.TimeoutError("no answer")
        if field.card.state.kind == "mifare":
            return self._mifare(bytes(data))
        try:
            return bytearray(field.iso.frame(bytes(data)))
        except Torn as torn:
            logger.debug("virtual card torn (%s)", torn)
            with self._lock:
                if self._card is field:
                    self._card = None
            raise nfc.clf.TimeoutError("card left the field") from None
        except (Deselected, ValueError) as exc:
            logger.debug("virtual card silent: %s", exc)
            raise nfc.clf.TimeoutError("no answer") from None

    @staticmethod
    def _mifare(data: bytes) -> bytearray:
        """A MIFARE Classic tag as a Type 2 reader sees it: READ answers 16 bytes
        (nfcpy's presence check); anything else, silence."""
        if len(data) == 2 and data[0] == 0x30:
            return bytearray(16)
        raise nfc.clf.TimeoutError("no answer")

    def get_max_send_data_size(self, target: nfc.clf.RemoteTarget) -> int:
        return self._max_send

    def get_max_recv_data_size(self, target: nfc.clf.RemoteTarget) -> int:
        return self._max_recv
