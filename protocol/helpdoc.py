"""Help and emergency guides (应急处理指南) as data: the one shape of the document
the central side serves (``GET /v1/help``), the kiosk packages as its offline
default (``config/help.json``) and kioskd serves to the screen (``GET /v1/help``).

A document is ``{"version", "sections": [{"id", "title", "title_zh", "body",
"body_zh"}]}`` with every id of :data:`REQUIRED_SECTIONS` (more are allowed, in
the order given). ``{hotline}`` in a text is the kiosk's hotline, filled in by
kioskd (:func:`fill_hotline`), so one number is said on screens and receipts.
"""

from __future__ import annotations

import re
from typing import Any

from protocol.wire import Model

__all__ = ["REQUIRED_SECTIONS", "HelpDocument", "HelpSection", "fill_hotline", "parse_help"]

REQUIRED_SECTIONS = ("use", "lost", "pin", "fraud", "damaged", "outlets", "hotline")
_ID = re.compile(r"^[a-z_]{1,32}$")
_TEXTS = ("title", "title_zh", "body", "body_zh")


class HelpSection(Model, frozen=True):
    """One guide, both languages."""

    id: str
    title: str
    title_zh: str
    body: str
    body_zh: str


class HelpDocument(Model, frozen=True):
    """The guides: ``GET /v1/help`` of the central side, and the packaged default."""

    version: str
    sections: list[HelpSection]


def parse_help(data: Any) -> HelpDocument:
    """The document in ``data``; ValueError naming the first fault when it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("version"), str) \
            or not data["version"] or len(data["version"]) > 40:
        raise ValueError("help: an object with a version (1-40 characters)")
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        raise ValueError("help: sections is a non-empty list")
    out: list[HelpSection] = []
    for index, entry in enumerate(sections):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) \
                or not _ID.match(entry["id"]):
            raise ValueError(f"help: sections[{index}].id is 1-32 of a-z and _")
        for name in _TEXTS:
            text = entry.get(name)
            if not isinstance(text, str) or not text.strip() or len(text) > 2000:
                raise ValueError(f"help: sections[{index}].{name} is 1-2000 characters")
        out.append(HelpSection(entry["id"], *(entry[name] for name in _TEXTS)))
    ids = [s.id for s in out]
    if len(set(ids)) != len(ids):
        raise ValueError("help: a section id appears twice")
    missing = [i for i in REQUIRED_SECTIONS if i not in ids]
    if missing:
        raise ValueError(f"help: sections missing: {', '.join(missing)}")
    return HelpDocument(data["version"], out)


def fill_hotline(doc: HelpDocument, hotline: str) -> HelpDocument:
    """``{hotline}`` in every text replaced by ``hotline`` (nothing else is formatted)."""
    def fill(text: str) -> str:
        return text.replace("{hotline}", hotline)
    return HelpDocument(doc.version, [
        HelpSection(s.id, fill(s.title), fill(s.title_zh), fill(s.body), fill(s.body_zh))
        for s in doc.sections])
