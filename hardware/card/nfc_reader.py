"""The card reader service: nfcpy's ContactlessFrontend, one session per tap.

The only module (with :mod:`hardware.card.nfc_device`) that imports ``nfc``.
Every way nfcpy fails is translated here (:func:`translate`), so the daemon
only ever sees :mod:`hardware.card.errors`.

A thread polls 106A and 106B. On a tap it reads the card with
:class:`~hardware.card.epurse.EPurse` and tells the listener; while the card
stays in the field, it checks now and then that the card is still there, and
operations handed to :meth:`CardReader.submit` (a load's INITIALIZE and
CREDIT, say) run against that card on the caller's own thread, holding the
card so that one exchange at a time reaches it — no hand-off to this thread
and back, which cost two thread wake-ups per command inside a load's window
(docs/PERFORMANCE.md); then it waits for the card to leave. An unplugged reader is reported as
``disconnected`` and reopened with backoff; the thread never dies of a card.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import nfc
import nfc.clf
import nfc.tag
import nfc.tag.tt4

from hardware.card.epurse import EPurse
from hardware.card.errors import (
    CardError,
    CardNotSupported,
    CardProtocolError,
    CardRemoved,
    ReaderUnavailable,
)
from hardware.card.model import CardInfo, PublicInfo

__all__ = ["CardReader", "ReaderListener", "ReaderSettings", "TagChannel", "translate"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

POLL_TARGETS = ["106A", "106B"]
PRESENCE_INTERVAL_S = 0.1
# A card is sensed at most one poll interval (``[reader] poll_interval_ms``, 10 ms)
# after it enters the field, half that on average. nfcpy sleeps the rest of the
# interval between rounds, so the thread is idle in between (kioskd idles at ~1 % of
# a core, docs/PERFORMANCE.md). One nfcpy ``sense`` call runs rounds for about
# POLL_CALL_S: the stop flag is seen between calls, so close() waits at most that.
POLL_CALL_S = 0.2
BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)


class ReaderListener(Protocol):
    """What the reader tells (daemon.cardflow.CardFlow implements it)."""

    def reader_state(self, state: str) -> None: ...
    def card_identified(self, card_no: str) -> None: ...
    def card_read(self, card: CardInfo) -> None: ...
    def card_unsupported(self, reason: str) -> None: ...
    def card_error(self, error: Exception) -> None: ...
    def card_removed(self) -> None: ...


class ReaderSettings(Protocol):
    """The reader's config section (config.schema.ReaderSection)."""

    @property
    def aids(self) -> list[str]: ...
    @property
    def fallback_df(self) -> bool: ...
    @property
    def key_index(self) -> int: ...
    @property
    def balance_high_bit(self) -> str: ...
    @property
    def max_records(self) -> int: ...
    @property
    def poll_interval_ms(self) -> int: ...


@contextmanager
def translate(what: str) -> Iterator[None]:
    """Turn nfcpy's failures into the card layer's errors."""
    try:
        yield
    except CardError:
        raise
    except nfc.tag.tt4.Type4TagCommandError as exc:
        if exc.errno <= 0:  # 0 timeout, -1 receive, -2 protocol: the card is gone
            raise CardRemoved(f"{what}: card left the field ({exc})") from exc
        raise CardProtocolError(f"{what}: {exc}") from exc
    except nfc.clf.BrokenLinkError as exc:
        raise CardRemoved(f"{what}: link broken") from exc
    except nfc.clf.CommunicationError as exc:
        raise CardRemoved(f"{what}: {type(exc).__name__}") from exc
    except IndexError as exc:  # an ATS without TA/TB, a short frame nfcpy indexes into
        raise CardProtocolError(f"{what}: malformed frame ({exc})") from exc
    except OSError as exc:
        raise ReaderUnavailable(f"{what}: {exc}") from exc


class TagChannel:
    """An EPurse channel over an activated nfcpy Type 4 tag."""

    def __init__(self, tag: Any) -> None:
        self._tag = tag

    def transmit(self, command: bytes) -> bytes:
        with translate("APDU exchange"):
            answer = self._tag.transceive(bytearray(command))
        if answer is None:
            raise CardRemoved("no answer")
        return bytes(answer)


class CardReader:
    """The reader thread. ``open_frontend`` returns an opened ContactlessFrontend
    (or raises OSError); the default opens ``path`` with nfcpy."""

    def __init__(self, path: str, *, settings: ReaderSettings, listener: ReaderListener,
                 open_frontend: Callable[[], Any] | None = None) -> None:
        self.path = path
        self._settings = settings
        self._listener = listener
        self._open = open_frontend or (lambda: nfc.ContactlessFrontend(path))
        self._stop = threading.Event()
        # Held for every exchange with the card after its read: the operations of
        # submit() on their callers' threads, this thread's presence checks.
        self._card = threading.RLock()
        self._purse: EPurse | None = None  # the card in the field, once read
        self._last_used = 0.0  # when an operation last ended (time.monotonic)
        self._thread: threading.Thread | None = None
        self.state = "starting"
        self.taps = 0
        self.card_no: str | None = None  # the card in the field, once read

    def __repr__(self) -> str:
        return f"<CardReader {self.path} {self.state}>"

    def __enter__(self) -> CardReader:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> CardReader:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="card-reader", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def submit(self, operation: Callable[[EPurse], T], timeout: float = 10.0) -> T:
        """Run ``operation`` against the card in the field, on the calling thread, one
        exchange with the card at a time (``timeout``: the longest wait for the card
        to be free; TimeoutError after it).

        Raises CardRemoved when no card is in the field (now, or before it ran)."""
        if not self._card.acquire(timeout=timeout):
            raise TimeoutError("the card reader is busy")
        try:
            purse = self._purse
            if purse is None:
                raise CardRemoved("no card in the field")
            try:
                return operation(purse)
            finally:
                self._last_used = time.monotonic()
        finally:
            self._card.release()

    # -- the thread ------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            logger.info("reader %s: %s", self.path, state)
            self._tell("reader_state", state)

    def _tell(self, name: str, *args: Any) -> None:
        try:
            getattr(self._listener, name)(*args)
        except Exception:  # a failing listener is logged, never kills the reader
            logger.exception("reader listener %s failed", name)

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                clf = self._open()
            except (OSError, nfc.clf.Error, ReaderUnavailable) as exc:
                self._set_state("disconnected")
                delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
                logger.debug("reader %s will not open (%s); retry in %.1f s", self.path, exc, delay)
                attempt += 1
                self._stop.wait(delay)
                continue
            attempt = 0
            try:
                self._set_state("ready")
                self._poll(clf)
            except ReaderUnavailable as exc:
                logger.warning("reader %s lost: %s", self.path, exc)
                self._set_state("disconnected")
            finally:
                try:
                    with self._card:  # never under an operation still running
                        self._purse = None
                        clf.close()
                except Exception:
                    logger.debug("closing the frontend failed", exc_info=True)

    def _poll(self, clf: Any) -> None:
        interval = self._settings.poll_interval_ms / 1000
        rounds = max(2, round(POLL_CALL_S / interval))  # one round per call would spin
        while not self._stop.is_set():
            try:
                with translate("polling"):
                    # nfcpy's connect calls sense() again at once when a call finds
                    # nothing, so only the interval *inside* a call paces the rounds:
                    # with one round per call the thread senses back to back and
                    # spins a core.
                    tag = clf.connect(rdwr={"targets": POLL_TARGETS,
                                            "on-connect": lambda t: False,
                                            "iterations": rounds,
                                            "interval": interval,
                                            "beep-on-connect": False},
                                      terminate=self._stop.is_set)
            except ReaderUnavailable:
                raise
            except CardError as exc:
                # Activation failed (an odd ATS, a card that left during RATS): say so
                # once, then wait until that card is out of the field.
                self._tell("card_error", exc)
                self._wait_field_empty(clf)
                continue
            if tag is False:  # nfcpy swallowed an IOError: the device is gone
                raise ReaderUnavailable("the reader stopped answering")
            if tag is None:
                if self._stop.is_set():
                    return
                time.sleep(0.05)
                continue
            self.taps += 1
            self._session(tag)

    def _wait_field_empty(self, clf: Any) -> None:
        targets = [nfc.clf.RemoteTarget(t) for t in POLL_TARGETS]
        while not self._stop.is_set():
            with translate("waiting for the card to leave"):
                if clf.sense(*targets, iterations=1) is None:
                    return
            time.sleep(PRESENCE_INTERVAL_S)

    def _session(self, tag: Any) -> None:
        if not isinstance(tag, nfc.tag.tt4.Type4Tag):
            self._tell("card_unsupported", f"{type(tag).__name__}: not an ISO-DEP CPU card")
            self._wait_removed(tag)
            return
        purse = EPurse(TagChannel(tag), aids=list(self._settings.aids),
                       fallback_df=self._settings.fallback_df,
                       key_index=self._settings.key_index,
                       balance_high_bit=self._settings.balance_high_bit,
                       max_records=self._settings.max_records)
        try:
            card = purse.read(on_identified=self._identified)
        except CardNotSupported as exc:
            self._tell("card_unsupported", str(exc))
        except ReaderUnavailable:
            raise
        except CardError as exc:
            self._tell("card_error", exc)
        else:
            logger.info("card read in %d APDUs", card.apdu_count)
            with self._card:
                self.card_no = card.card_no
                self._purse = purse
            try:
                self._tell("card_read", card)
                self._serve(tag)
            finally:
                with self._card:  # an operation still running ends first
                    self._purse = None
                    self.card_no = None
        self._wait_removed(tag)

    def _identified(self, public: PublicInfo) -> None:
        self._tell("card_identified", public.card_no)

    def _serve(self, tag: Any) -> None:
        """While the card stays in the field (operations run on their callers' threads):
        check it is still there once it has been left alone for PRESENCE_INTERVAL_S."""
        while not self._stop.wait(PRESENCE_INTERVAL_S):
            with self._card:
                idle = time.monotonic() - self._last_used
                if idle >= PRESENCE_INTERVAL_S and not self._present(tag):
                    return

    def _present(self, tag: Any) -> bool:
        with self._card, translate("presence check"):
            try:
                return bool(tag.is_present)
            except nfc.tag.tt4.Type4TagCommandError:
                return False

    def _wait_removed(self, tag: Any) -> None:
        while not self._stop.is_set():
            try:
                if not self._present(tag):
                    break
            except CardError as exc:
                if isinstance(exc, ReaderUnavailable):
                    raise
                break
            time.sleep(PRESENCE_INTERVAL_S)
        self._tell("card_removed")
