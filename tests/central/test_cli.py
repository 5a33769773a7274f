"""The console script as the demo and the tests use it: seed, add-kiosk, serve (with TLS)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from central.client import SignedClient
from tests.central.helpers import KIOSK, ZHANG

ROOT = Path(__file__).resolve().parents[2]
CLI = [str(ROOT / ".venv" / "bin" / "python"), "-m", "central.cli", "--log-level", "WARNING"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    db = tmp_path / "central.sqlite"
    done = run("seed", "--db", str(db), "--cards", "5", "--transactions", "300")
    assert done.returncode == 0, done.stderr
    assert "12 cards, 300 transactions" in done.stdout
    return db


def test_seed_creates_the_demo_cards_of_the_virtual_wallet(seeded: Path) -> None:
    with (ROOT / "config" / "sim" / "demo-cards.toml").open("rb") as fh:
        demo = tomllib.load(fh)["card"]
    conn = sqlite3.connect(seeded)
    rows = {r[0]: r[1:] for r in conn.execute(
        "SELECT card_no, card_type, holder_name, status, points, valid_from, valid_until "
        "FROM cards")}
    for card in demo:
        assert rows[card["card_no"]] == (card["card_type"], card["holder_name"], card["status"],
                                         card["points"], str(card["valid_from"]),
                                         str(card["valid_until"]))
        last = conn.execute("SELECT balance_after_fen FROM transactions WHERE card_no = ? "
                            "ORDER BY occurred_at DESC, id DESC LIMIT 1",
                            (card["card_no"],)).fetchone()
        assert last[0] == card["balance_fen"]
    assert len(rows) == len(demo) + 5
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    secret = seeded.parent / "kiosk.secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert conn.execute("SELECT kiosk_id FROM kiosks").fetchall() == [(KIOSK,)]
    conn.close()


def test_seed_refuses_a_database_that_has_cards(seeded: Path) -> None:
    again = run("seed", "--db", str(seeded))
    assert again.returncode == 1 and "already holds cards" in again.stderr


@pytest.fixture
def serve(seeded: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen([*CLI, "serve", "--db", str(seeded), "--host", "127.0.0.1",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    assert first.startswith("listening on http://127.0.0.1:"), first
    yield proc, first.removeprefix("listening on ")
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_served_on_loopback_unsigned_is_refused_signed_gets_the_card(
        seeded: Path, serve: tuple[subprocess.Popen[str], str]) -> None:
    proc, url = serve
    assert requests.get(f"{url}/v1/cards/{ZHANG}", timeout=5).status_code == 401
    client = SignedClient.from_secret_file(url, KIOSK, seeded.parent / "kiosk.secret")
    card = client.get(f"/v1/cards/{ZHANG}").json()
    assert card["card_no"] == ZHANG and card["status"] == "active"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_add_kiosk_registers_a_second_kiosk(seeded: Path,
                                            serve: tuple[subprocess.Popen[str], str]) -> None:
    _, url = serve
    secret_file = seeded.parent / "k2" / "kiosk.secret"
    done = run("add-kiosk", "--db", str(seeded), "--id", "KIOSK-SZ-0002",
               "--secret-file", str(secret_file))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    client = SignedClient.from_secret_file(url, "KIOSK-SZ-0002", secret_file)
    assert client.get(f"/v1/cards/{ZHANG}").status_code == 200
    bad = run("add-kiosk", "--db", str(seeded), "--id", "bad id!", "--secret-file",
              str(secret_file))
    assert bad.returncode == 1



def test_serve_with_workers_shares_one_socket_and_one_database(seeded: Path) -> None:
    proc = subprocess.Popen([*CLI, "serve", "--db", str(seeded), "--port", "0",
                             "--workers", "2", "--backlog", "512"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        secret = seeded.parent / "kiosk.secret"
        for _ in range(10):  # new connections, spread over the workers by the kernel
            client = SignedClient.from_secret_file(url, KIOSK, secret)
            assert client.get(f"/v1/cards/{ZHANG}").status_code == 200
            client.close()
        one, other = (SignedClient.from_secret_file(url, KIOSK, secret) for _ in range(2))
        assert one.get("/health").status_code == 200
        # A nonce seen by one worker is refused by any: the record is the database's.
        assert one.get(f"/v1/cards/{ZHANG}", nonce="n" * 16, now=None).status_code == 200
        replay = other.get(f"/v1/cards/{ZHANG}", nonce="n" * 16)
        assert replay.status_code == 401 and replay.json()["details"]["reason"] == \
            "nonce_reused"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_refuses_a_bad_worker_count_or_backlog(seeded: Path) -> None:
    done = run("serve", "--db", str(seeded), "--port", "0", "--workers", "0")
    assert done.returncode == 1 and "--workers must be at least 1" in done.stderr
    done = run("serve", "--db", str(seeded), "--port", "0", "--backlog", "0")
    assert done.returncode == 1 and "--backlog must be between 1 and 65535" in done.stderr


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool")
def test_tls_with_client_certificates(seeded: Path, tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    pki.mkdir()
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
             "ca.pem", "-days", "2", "-subj", "/CN=citycard test CA", cwd=pki)
    (pki / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name in ("server", "kiosk"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                 f"{name}.csr", "-subj", f"/CN={name}", cwd=pki)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", "san.ext",
                 cwd=pki)
    proc = subprocess.Popen([*CLI, "serve", "--db", str(seeded), "--port", "0",
                             "--tls-cert", str(pki / "server.pem"), "--tls-key",
                             str(pki / "server.key"), "--client-ca", str(pki / "ca.pem")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        assert url.startswith("https://127.0.0.1:")
        with_cert = requests.get(url + "/health", verify=str(pki / "ca.pem"),
                                 cert=(str(pki / "kiosk.pem"), str(pki / "kiosk.key")),
                                 timeout=10)
        assert with_cert.json()["status"] == "ok"
        with pytest.raises(requests.exceptions.RequestException):
            requests.get(url + "/health", verify=str(pki / "ca.pem"), timeout=10)
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_serve_reports_a_bad_option_and_exits_non_zero(seeded: Path) -> None:
    done = run("serve", "--db", str(seeded), "--port", "0", "--tls-cert", os.devnull)
    assert done.returncode == 1 and "--tls-cert and --tls-key go together" in done.stderr


def test_serve_refuses_bad_risk_thresholds_listing_every_one(seeded: Path,
                                                             tmp_path: Path) -> None:
    risk = tmp_path / "risk.toml"
    risk.write_text("[risk]\nload_hour_count = 0\npin_kiosks = \"two\"\nsilence_s = 60\n")
    done = run("serve", "--db", str(seeded), "--port", "0", "--risk-config", str(risk))
    assert done.returncode == 1
    for key in ("risk.load_hour_count: must be between 1 and 1000",
                "risk.pin_kiosks: must be a whole number", "risk.silence_s: unknown key"):
        assert f"{risk}: {key}" in done.stderr, done.stderr


def test_serve_with_an_admin_token_file_and_thresholds(seeded: Path, tmp_path: Path) -> None:
    risk = tmp_path / "risk.toml"
    risk.write_text("[risk]\nload_hour_count = 3\nsweep_every_s = 5\n")
    token_file = tmp_path / "admin.token"
    proc = subprocess.Popen([*CLI, "serve", "--db", str(seeded), "--port", "0",
                             "--risk-config", str(risk), "--admin-token-file", str(token_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text().strip()
        resp = requests.get(f"{url}/v1/admin/alerts", timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200 and resp.json() == {"alerts": [], "next_before_id": None}
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    empty = run("alerts", "--db", str(seeded))
    assert empty.returncode == 0 and empty.stdout == "no alerts\n"
    assert run("alerts", "--db", str(seeded), "--limit", "0").returncode == 1
    assert run("alerts", "--db", str(tmp_path / "none.sqlite")).returncode == 1


def test_add_notice_stores_a_notice_and_refuses_a_bad_time_range(seeded: Path) -> None:
    import json
    before = sqlite3.connect(seeded).execute("SELECT COUNT(*) FROM notices").fetchone()[0]
    refused = run("add-notice", "--db", str(seeded), "--kind", "maintenance", "--title", "T",
                  "--title-zh", "标题", "--body", "B", "--body-zh", "内容",
                  "--starts", "2099-12-05T03:00", "--ends", "2099-12-05T01:00")
    assert refused.returncode == 1
    error = json.loads(refused.stderr.strip().splitlines()[-1])
    assert error["code"] == "validation_error" and error["details"]["field"] == "ends_at"
    assert set(error) == {"code", "message", "message_zh", "details"}
    assert sqlite3.connect(seeded).execute("SELECT COUNT(*) FROM notices").fetchone()[0] \
        == before
    done = run("add-notice", "--db", str(seeded), "--kind", "maintenance", "--title", "T",
               "--title-zh", "标题", "--body", "B", "--body-zh", "内容",
               "--starts", "2099-12-05T01:00", "--ends", "2099-12-05T03:00+08:00")
    assert done.returncode == 0, done.stderr
    row = sqlite3.connect(seeded).execute(
        "SELECT kind, ends_at - starts_at FROM notices ORDER BY notice_id DESC").fetchone()
    assert row == ("maintenance", 7200)


def test_replace_card_records_a_lost_cards_replacement_and_refuses_the_rest(
        seeded: Path) -> None:
    lost, new, active = "03104440300000100041", "31044403000000100033", ZHANG
    refused = run("replace-card", "--db", str(seeded), active, new)
    assert refused.returncode == 1 and "only a card reported lost" in refused.stderr
    done = run("replace-card", "--db", str(seeded), lost, new)
    assert done.returncode == 0, done.stderr
    assert "0310 **** **** 0041 -> 3104 **** **** 0033" in done.stdout and lost not in done.stdout
    again = run("replace-card", "--db", str(seeded), lost, new)
    assert again.returncode == 1 and "already has a replacement" in again.stderr
    with sqlite3.connect(seeded) as conn:
        assert conn.execute("SELECT COUNT(*) FROM replacements").fetchone()[0] == 1
