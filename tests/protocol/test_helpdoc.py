"""The help document's one shape: the packaged default passes, every fault is named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from protocol.helpdoc import REQUIRED_SECTIONS, fill_hotline, parse_help

DEFAULT = Path(__file__).resolve().parents[2] / "config" / "help.json"


def _doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT.read_text(encoding="utf-8"))
    return data


def test_the_packaged_default_has_every_guide_in_both_languages() -> None:
    doc = parse_help(_doc())
    assert {s.id for s in doc.sections} >= set(REQUIRED_SECTIONS)
    for section in doc.sections:
        assert section.title_zh != section.title and section.body_zh != section.body


def test_the_hotline_is_filled_in_everywhere() -> None:
    doc = fill_hotline(parse_help(_doc()), "0755-96888")
    texts = [t for s in doc.sections for t in (s.title, s.title_zh, s.body, s.body_zh)]
    assert not any("{hotline}" in t for t in texts)
    assert sum("0755-96888" in t for t in texts) >= 4


@pytest.mark.parametrize(("change", "fault"), [
    (lambda d: d.pop("version"), "version"),
    (lambda d: d.update(sections=[]), "sections"),
    (lambda d: d["sections"][0].update(id="Use!"), "sections[0].id"),
    (lambda d: d["sections"][1].update(body_zh=" "), "sections[1].body_zh"),
    (lambda d: d["sections"][2].pop("title"), "sections[2].title"),
    (lambda d: d["sections"].append(dict(d["sections"][0])), "twice"),
    (lambda d: d["sections"].pop(), "missing: hotline"),
])
def test_a_broken_document_is_refused_with_its_fault(change: Any, fault: str) -> None:
    data = _doc()
    change(data)
    with pytest.raises(ValueError, match=fault.replace("[", r"\[").replace("]", r"\]")):
        parse_help(data)
