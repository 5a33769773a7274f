"""Keys and secrets (issue 14 item 5): kiosk secrets sealed at rest, rotation with an
overlap, the payment-password verifiers, constant-time comparisons, the 0600 database."""

from __future__ import annotations

import ast
import hashlib
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from central import db
from central.auth import kiosk_secret, register_kiosk
from central.db import connect, migrate, transaction
from central.keys import (
    DEFAULT_PIN_KDF,
    PinKdf,
    SecretKeyError,
    hash_pin,
    is_sealed,
    kiosk_secrets,
    needs_upgrade,
    rotate_secret,
    seal_existing,
    verify_pin,
)
from central.server import App
from central.settings import Settings
from protocol import pinblock
from protocol.signing import sign_headers
from tests.central.helpers import (
    DEMO_PIN,
    KIOSK,
    TEST_PIN_KDF,
    ZHANG,
    Central,
    Clock,
    error_of,
)

KEY = b"a-server-key-for-tests-0123456789abcdef"
CARD_PATH = f"/v1/cards/{ZHANG}"
CENTRAL_DIR = Path(__file__).resolve().parents[2] / "central"


def _db(tmp_path: Path) -> Path:
    path = tmp_path / "c.sqlite"
    conn = connect(path)
    migrate(conn)
    conn.close()
    return path


# -- the database file ------------------------------------------------------------
def test_a_new_database_file_and_its_wal_are_readable_by_the_owner_only(
        tmp_path: Path) -> None:
    path = _db(tmp_path)
    conn = connect(path)
    with transaction(conn):
        conn.exec_driver_sql("CREATE TABLE t (x)")
    for f in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        assert f.exists(), f
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    conn.close()


# -- kiosk secrets at rest --------------------------------------------------------------
def test_kiosk_secrets_are_stored_encrypted_under_the_server_key(tmp_path: Path) -> None:
    conn = connect(_db(tmp_path))
    register_kiosk(conn, "K1", b"s" * 32, KEY)
    stored = bytes(db.scalar(conn, "SELECT secret FROM kiosks"))
    assert is_sealed(stored) and b"s" * 32 not in stored
    assert kiosk_secret(conn, "K1", KEY) == b"s" * 32
    with pytest.raises(SecretKeyError):  # no key
        kiosk_secret(conn, "K1")
    with pytest.raises(SecretKeyError):  # another key
        kiosk_secret(conn, "K1", b"another-server-key-0123456789")
    # a sealed secret moved onto another kiosk's row does not open there
    register_kiosk(conn, "K2", b"t" * 32, KEY)
    with transaction(conn):
        db.run(conn, "UPDATE kiosks SET secret = :secret WHERE kiosk_id = 'K2'", secret=stored)
    with pytest.raises(SecretKeyError):
        kiosk_secret(conn, "K2", KEY)


def test_clear_secrets_are_encrypted_once_a_key_is_given(tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    conn = connect(_db(tmp_path))
    register_kiosk(conn, "K1", b"a" * 32)  # a database from before: clear
    with transaction(conn):
        rotate_secret(conn, "K1", b"b" * 32, overlap_s=600, now=time.time(), material=None)
    assert seal_existing(conn, None) == 0  # without a key: left, with a warning
    assert "stored in clear" in caplog.text
    assert seal_existing(conn, KEY) == 2  # the current and the previous secret
    row = db.one(conn, "SELECT secret, secret_prev FROM kiosks")
    assert row is not None
    assert is_sealed(bytes(row["secret"])) and is_sealed(bytes(row["secret_prev"]))
    assert kiosk_secrets(conn, "K1", time.time(), KEY) == [b"b" * 32, b"a" * 32]
    assert seal_existing(conn, KEY) == 0  # once
    with pytest.raises(SecretKeyError):  # sealed, and then no key: refused, not ignored
        seal_existing(conn, None)


def test_the_server_refuses_to_start_on_sealed_secrets_without_the_key(
        tmp_path: Path) -> None:
    path = _db(tmp_path)
    conn = connect(path)
    register_kiosk(conn, "K1", b"a" * 32, KEY)
    conn.close()
    with pytest.raises(SecretKeyError):
        App(path, Settings())
    App(path, Settings(secret_key=KEY)).close()


def test_a_server_with_a_key_serves_kiosks_whose_secrets_were_in_clear(
        start_central: Callable[..., Central]) -> None:
    central = start_central(Settings(secret_key=KEY))  # its kiosk was registered in clear
    assert central.client.get(CARD_PATH).status_code == 200
    stored = bytes(central.sql("SELECT secret FROM kiosks WHERE kiosk_id = ?", KIOSK)[0][0])
    assert is_sealed(stored) and central.secret not in stored


# -- rotation --------------------------------------------------------------------
def test_both_secrets_are_accepted_during_the_overlap_and_the_old_one_not_after(
        start_central: Callable[..., Central]) -> None:
    clock = Clock()
    central = start_central(Settings(secret_key=KEY), clock=clock)
    new = b"n" * 64
    conn = connect(central.db)
    with transaction(conn):
        rotate_secret(conn, KIOSK, new, overlap_s=60, now=clock.now, material=KEY)
    conn.close()
    old_client, new_client = central.client, central.another_client(secret=new)
    assert old_client.get(CARD_PATH, now=clock.now).status_code == 200
    assert new_client.get(CARD_PATH, now=clock.now).status_code == 200
    clock.advance(61)
    assert error_of(old_client.get(CARD_PATH, now=clock.now), 401,
                    "unauthorized")["reason"] == "bad_signature"
    assert new_client.get(CARD_PATH, now=clock.now).status_code == 200


def test_a_pin_block_made_under_either_secret_is_read_during_the_overlap(
        start_central: Callable[..., Central]) -> None:
    clock = Clock()
    central = start_central(clock=clock)
    new = b"n" * 64
    conn = connect(central.db)
    with transaction(conn):
        rotate_secret(conn, KIOSK, new, overlap_s=60, now=clock.now, material=None)
    conn.close()
    for block_secret in (central.secret, new):  # signed with the new secret either way
        block = pinblock.encode(DEMO_PIN, ZHANG, pinblock.pin_key(block_secret))
        resp = central.another_client(secret=new).post(
            f"/v1/cards/{ZHANG}/pin/verify", {"pin_block": block}, now=clock.now)
        assert resp.status_code == 200, resp.text


def test_rotation_refuses_an_unknown_kiosk_and_a_short_secret(tmp_path: Path) -> None:
    conn = connect(_db(tmp_path))
    register_kiosk(conn, "K1", b"a" * 32)
    with pytest.raises(LookupError):
        rotate_secret(conn, "NOBODY", b"b" * 32, overlap_s=1, now=0, material=None)
    with pytest.raises(ValueError):
        rotate_secret(conn, "K1", b"short", overlap_s=1, now=0, material=None)


# -- signatures --------------------------------------------------------------------
def _raw_get(url: str, headers: dict[str, bytes]) -> bytes:
    """A GET with header bytes exactly as given (requests would refuse non-ASCII)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        lines = [f"GET {CARD_PATH} HTTP/1.1".encode(), f"Host: {host}".encode(),
                 b"Connection: close"] + [k.encode() + b": " + v for k, v in headers.items()]
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_a_non_ascii_signature_is_refused_with_401(central: Central) -> None:
    headers = {k: v.encode() for k, v in sign_headers("GET", CARD_PATH, b"", kiosk_id=KIOSK,
                                                       secret=central.secret).items()}
    for bad in ("é" * 64, "签名" * 32, "０" * 64):  # latin-1, UTF-8, fullwidth digits
        headers["X-Signature"] = bad.encode("utf-8")
        answer = _raw_get(central.url, headers)
        assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
        assert b'"bad_signature"' in answer
    headers["X-Signature"] = "é".encode("latin-1") * 64
    assert _raw_get(central.url, headers).startswith(b"HTTP/1.1 401 ")


def test_central_compares_macs_tacs_and_signatures_in_constant_time() -> None:
    """No ``==``/``!=`` between MAC, TAC, signature, token or verifier values anywhere in
    central/: those go through hmac.compare_digest."""
    secretish = ("mac", "tac", "signature", "token", "pin_hash", "verifier")
    offenders = []
    for path in CENTRAL_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            if not any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                continue
            names = [ast.unparse(x).lower() for x in (node.left, *node.comparators)]
            if any(isinstance(x, ast.Constant) for x in (node.left, *node.comparators)):
                continue  # a state or a setting (status != 'mac2_issued'), not a value
            if any(word in name for name in names for word in secretish):
                offenders.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


# -- payment-password verifiers ---------------------------------------------------------
def test_the_default_verifier_cost_meets_the_50_ms_rule() -> None:
    """The parameters, not a timing: scrypt N=2^15, r=8 (32 MiB a guess) measured at
    ≥ 50 ms a guess on the reference machine (docs/PERFORMANCE.md)."""
    assert Settings().pin_kdf == DEFAULT_PIN_KDF
    assert DEFAULT_PIN_KDF.n >= 2 ** 15 and DEFAULT_PIN_KDF.r >= 8
    assert DEFAULT_PIN_KDF.memory_bytes >= 32 * 1024 * 1024


def test_verifiers_are_peppered_scrypt_and_the_pepper_is_needed() -> None:
    salt = b"s" * 16
    verifier, label = hash_pin("147258", salt, TEST_PIN_KDF, b"pepper-0123456789")
    assert label.startswith("scrypt:n=16,r=1,p=1,pepper=") and not label.endswith("none")
    assert verify_pin("147258", salt, verifier, label, pepper=b"pepper-0123456789")
    assert not verify_pin("147259", salt, verifier, label, pepper=b"pepper-0123456789")
    assert not verify_pin("147258", salt, verifier, label, pepper=None)
    assert not verify_pin("147258", salt, verifier, label, pepper=b"another-pepper-0123")
    unpeppered = hashlib.scrypt(hashlib.sha256(b"147258").digest(), salt=salt, n=16, r=1, p=1)
    assert verifier != unpeppered
    with pytest.raises(ValueError):
        PinKdf(n=1000)


def test_an_old_pbkdf2_verifier_is_upgraded_on_its_next_right_answer(
        start_central: Callable[..., Central]) -> None:
    pepper = b"the-pepper-of-this-test-0123"
    central = start_central(Settings(pepper=pepper))
    salt = b"\x01" * 16
    old = hashlib.pbkdf2_hmac("sha256", DEMO_PIN.encode(), salt, 20_000)
    central.sql("UPDATE cards SET pin_hash = ?, pin_salt = ?, pin_kdf = NULL"
                " WHERE card_no = ?", old, salt, ZHANG)

    def verify(pin: str) -> int:
        block = pinblock.encode(pin, ZHANG, pinblock.pin_key(central.secret))
        return central.client.post(f"/v1/cards/{ZHANG}/pin/verify",
                                   {"pin_block": block}).status_code

    assert verify("999999") == 422  # a wrong answer upgrades nothing
    assert central.sql("SELECT pin_kdf FROM cards WHERE card_no = ?", ZHANG)[0][0] is None
    assert verify(DEMO_PIN) == 200
    row = central.sql("SELECT pin_hash, pin_salt, pin_kdf FROM cards WHERE card_no = ?",
                      ZHANG)[0]
    assert row["pin_kdf"] == TEST_PIN_KDF.label(pepper)
    assert not needs_upgrade(row["pin_kdf"], TEST_PIN_KDF, pepper)
    assert verify_pin(DEMO_PIN, bytes(row["pin_salt"]), bytes(row["pin_hash"]),
                      row["pin_kdf"], pepper=pepper)
    assert verify(DEMO_PIN) == 200 and verify("999999") == 422
