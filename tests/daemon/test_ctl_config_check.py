"""`kioskctl config check`: the file against the schema, then what this machine
lacks for kioskd — every problem at once, with file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.ctl import main

SECRET = b"0123456789abcdef0123456789abcdef"


HTTPS = '[central]\nurl = "https://central.example"\n'


def _config(tmp_path: Path, extra: str = HTTPS, secret_mode: int = 0o600) -> Path:
    secret = tmp_path / "kiosk.secret"
    secret.write_bytes(SECRET)
    secret.chmod(secret_mode)
    path = tmp_path / "kioskd.toml"
    path.write_text(f'[kiosk]\nsecret_file = "{secret}"\n{extra}', encoding="utf-8")
    return path


def _tls(tmp_path: Path, key_mode: int) -> str:
    """A [central] table over https with a client certificate and key (key mode given)."""
    cert, key = tmp_path / "kiosk.crt", tmp_path / "kiosk.key"
    cert.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    key.write_text("-----BEGIN PRIVATE KEY-----\n", encoding="ascii")
    key.chmod(key_mode)
    return (f'[central]\nurl = "https://central.example"\nclient_cert = "{cert}"\n'
            f'client_key = "{key}"\n')


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
    path = _config(tmp_path, extra='language = "fr"\n' + HTTPS)
    before = path.read_bytes()
    code, result = _check(path, capsys)
    assert code == 1
    assert [p["key"] for p in result["problems"]] == ["kiosk.language"]  # type: ignore[union-attr]
    assert path.read_bytes() == before


def test_a_plain_http_central_is_refused_with_file_and_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, extra='[central]\nurl = "http://central.example:8600"\n')
    assert main(["--config", str(path), "config", "check"]) == 1
    out = capsys.readouterr().out
    assert f"{path}: central.url: http://central.example:8600 is plain HTTP" in out
    assert ": ok" not in out


def test_the_default_central_url_is_plain_http_and_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = _check(_config(tmp_path, extra=""), capsys)
    assert code == 1
    assert [p["key"] for p in result["problems"]] == ["central.url"]  # type: ignore[union-attr]


def test_plain_http_is_allowed_for_a_simulated_kiosk(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = '[central]\nurl = "http://127.0.0.1:8600"\n'
    code = main(["--config", str(_config(tmp_path, extra=plain)), "config", "check",
                 "--simulate", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["problems"] == []
    # A config for kioskd --simulate (as deploy/stack.py writes it) needs no flag.
    simulated = plain + '[reader]\npath = "sim"\n[printer]\nbackend = "sim"\n'
    code, result = _check(_config(tmp_path, extra=simulated), capsys)
    assert code == 0 and result["problems"] == []


def test_a_client_key_readable_by_others_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "kiosk.key"
    for mode in (0o644, 0o640, 0o604):
        path = _config(tmp_path, extra=_tls(tmp_path, mode))
        code, result = _check(path, capsys)
        assert code == 1
        assert result["problems"] == [{
            "file": str(path), "key": "central.client_key",
            "message": f"{key} has mode {mode:04o}: a private key must be readable by its "
                       "owner only (chmod 600)"}]
    code, result = _check(_config(tmp_path, extra=_tls(tmp_path, 0o600)), capsys)
    assert code == 0 and result["problems"] == []


def test_a_loose_client_key_is_refused_in_a_simulation_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, extra=_tls(tmp_path, 0o644))
    code = main(["--config", str(path), "config", "check", "--simulate", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and [p["key"] for p in result["problems"]] == ["central.client_key"]
