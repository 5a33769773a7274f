"""Help and emergency guides (应急处理指南) on this kiosk, as data.

:class:`HelpDesk` serves the central side's document (``GET /v1/help``, fetched
with the heartbeat) and, until one has come, the packaged default
(``config/help.json``). The last central copy is kept in the state directory,
so a kiosk that restarts offline still shows the issuer's text. A document not
of the one shape (:func:`protocol.helpdoc.parse_help`) is refused and the one
held is kept. ``{hotline}`` is filled with ``service.hotline``: the number on
the screens is the one on the receipts.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, Literal

from daemon.central import CentralClient, CentralError
from protocol.helpdoc import HelpDocument, fill_hotline, parse_help
from protocol.local import Help

__all__ = ["DEFAULT_HELP", "HelpDesk"]

logger = logging.getLogger(__name__)

DEFAULT_HELP = Path(__file__).resolve().parent.parent / "config" / "help.json"


class HelpDesk:
    """The help document the screen shows, and where it came from."""

    def __init__(self, *, hotline: str, cache: Path, default: Path = DEFAULT_HELP) -> None:
        self._hotline = hotline
        self._cache = cache
        self._lock = threading.Lock()
        self._doc = parse_help(json.loads(default.read_text(encoding="utf-8")))
        self._source: Literal["central", "default"] = "default"
        try:
            cached = parse_help(json.loads(cache.read_text(encoding="utf-8")))
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:  # a broken copy: the default serves
            logger.warning("help: kept copy %s not used: %s", cache, exc)
        else:
            self._doc, self._source = cached, "central"

    def fetch(self, central: CentralClient) -> None:
        """Take the central document (with the heartbeat); keep the one held when the
        central side cannot answer or answers something else."""
        try:
            answer = central.request("GET", "/v1/help")
        except CentralError as exc:
            logger.info("help not fetched: %s", exc)
            return
        self.take(answer)

    def take(self, answer: Any) -> bool:
        """Hold ``answer`` if it is a help document (and keep a copy); False if not."""
        try:
            doc = parse_help(answer)
        except ValueError as exc:
            logger.warning("help: the central document is refused: %s", exc)
            return False
        with self._lock:
            changed = doc != self._doc or self._source != "central"
            self._doc, self._source = doc, "central"
        if changed:
            self._keep(answer)
            logger.info("help: central document %s in use", doc.version)
        return True

    def _keep(self, answer: Any) -> None:
        tmp = self._cache.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self._cache)
        except OSError as exc:  # the copy only helps an offline restart
            logger.warning("help: copy not kept in %s: %s", self._cache, exc)

    def document(self) -> Help:
        """What ``GET /v1/help`` answers: the sections with the hotline filled in."""
        with self._lock:
            doc: HelpDocument = self._doc
            source = self._source
        filled = fill_hotline(doc, self._hotline)
        return Help(version=filled.version, source=source, hotline=self._hotline,
                    sections=filled.sections)
