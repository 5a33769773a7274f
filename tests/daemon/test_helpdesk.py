"""The help document on the kiosk: the packaged default, the central copy, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from daemon.helpdesk import DEFAULT_HELP, HelpDesk


def _central_doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_HELP.read_text(encoding="utf-8"))
    data["version"] = "issuer-7"
    data["sections"].append({"id": "refund", "title": "Refunds", "title_zh": "退卡退款",
                             "body": "At an outlet.", "body_zh": "请到网点办理。"})
    return data


def test_the_packaged_default_serves_until_the_central_side_answers(tmp_path: Path) -> None:
    desk = HelpDesk(hotline="12345", cache=tmp_path / "help.json")
    doc = desk.document()
    assert doc.source == "default" and doc.hotline == "12345"
    assert [s.id for s in doc.sections] == ["use", "lost", "pin", "fraud", "damaged",
                                                  "outlets", "hotline"]
    assert not any("{hotline}" in s.body + s.body_zh for s in doc.sections)
    assert desk.take(_central_doc())
    doc = desk.document()
    assert doc.source == "central" and doc.version == "issuer-7"
    assert doc.sections[-1].title_zh == "退卡退款"


def test_a_document_of_another_shape_is_refused_and_the_one_held_kept(tmp_path: Path) -> None:
    desk = HelpDesk(hotline="12345", cache=tmp_path / "help.json")
    desk.take(_central_doc())
    held = desk.document()
    broken = _central_doc()
    broken["sections"] = broken["sections"][1:]  # no "use"
    for bad in (broken, None, {"version": "x"}, "help"):
        assert desk.take(bad) is False
        assert desk.document() == held


def test_a_broken_kept_copy_falls_back_to_the_default(tmp_path: Path) -> None:
    (tmp_path / "help.json").write_text("{not json", encoding="utf-8")
    assert HelpDesk(hotline="1", cache=tmp_path / "help.json").document().source == "default"
