"""`kioskctl config check`: the file against the schema, then what this machine
lacks for kioskd — every problem at once, with file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.ctl import main

SECRET = b"0123456789abcdef0123456789abcdef"


def _config(tmp_path: Path, extra: str = "", secret_mode: int = 0o600) -> Path:
    secret = tmp_path / "kiosk.secret"
    secret.write_bytes(SECRET)
    secret.chmod(secret_mode)
    path = tmp_path / "kioskd.toml"
    path.write_text(f'[kiosk]\nsecret_file = "{secret}"\n{extra}', encoding="utf-8")
    return path


def _check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["--config", str(path), "config", "check", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_usable_config_is_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = _check(_config(tmp_path), capsys)
    assert code == 0
    assert result == {"ok": True, "file": str(tmp_path / "kioskd.toml"), "problems": [],
                      "unchecked": []}


def test_every_machine_problem_is_listed_with_file_and_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, secret_mode=0o644, extra=f"""
[paths]
admin_socket_group = "citycard-nosuch"

[central]
url = "https://central.example"
ca_file = "{tmp_path / 'missing-ca.pem'}"
""")
    code, result = _check(path, capsys)
    assert code == 1 and result["ok"] is False
    problems = result["problems"]
    assert isinstance(problems, list)
    assert {(p["file"], p["key"]) for p in problems} == {
        (str(path), "kiosk.secret_file"),
        (str(path), "paths.admin_socket_group"),
        (str(path), "central.ca_file"),
    }
    messages = " | ".join(p["message"] for p in problems)
    assert "mode 0644" in messages and "'citycard-nosuch'" in messages
    assert "missing-ca.pem does not exist" in messages


def test_a_missing_secret_is_a_problem_and_the_text_names_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path)
    (tmp_path / "kiosk.secret").unlink()
    assert main(["--config", str(path), "config", "check"]) == 1
    out = capsys.readouterr().out
    assert f"{path}: kiosk.secret_file: {tmp_path / 'kiosk.secret'} does not exist" in out
    assert ": ok" not in out


def test_schema_problems_are_listed_and_the_file_is_left_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, extra='language = "fr"\n')
    before = path.read_bytes()
    code, result = _check(path, capsys)
    assert code == 1
    assert [p["key"] for p in result["problems"]] == ["kiosk.language"]  # type: ignore[union-attr]
    assert path.read_bytes() == before
