"""The central server's own keys: kiosk secrets sealed at rest, their rotation, and the
payment-password verifiers.

**Kiosk secrets at rest.** A kiosk's HMAC secret is stored AES-256-GCM encrypted
under the *server key* (``--secret-key-file`` or ``CITYCARD_CENTRAL_SECRET_KEY``),
the kiosk id as associated data (a sealed secret copied onto another kiosk's
row does not open). A sealed value is ``MAGIC ‖ key id (4) ‖ nonce (12) ‖
ciphertext+tag``; a value without ``MAGIC`` is a clear secret from a database
written without a server key. :func:`seal_existing` encrypts those once a key
is given (it runs whenever a database is opened with a key); a sealed secret
with no key, or under another key, is :class:`SecretKeyError` — the server
refuses to start rather than refusing every kiosk.

**Rotation.** A kiosk has its current secret and, during a rotation's overlap,
its previous one until ``secret_prev_until``: requests signed with either are
accepted (:func:`kiosk_secrets`), so a kiosk keeps working while it picks the
new secret up.

**Payment passwords.** Verifiers are scrypt (memory-hard) over
HMAC-SHA256(pepper, PIN): the pepper is a server-side secret outside the
database (``--pepper-file`` / ``CITYCARD_CENTRAL_PEPPER``), so a stolen database
alone does not let anyone try the 10⁶ PINs. ``cards.pin_kdf`` names the scheme
of each row; the old PBKDF2 rows (``pin_kdf`` NULL) are upgraded on their next
successful verification.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from central import db
from central.db import Connection

__all__ = ["DEFAULT_PIN_KDF", "ENV_PEPPER", "ENV_SECRET_KEY", "KIOSK_ID", "PinKdf",
           "SecretKeyError", "hash_pin", "is_sealed", "kiosk_secrets", "load_key",
           "needs_upgrade", "open_secret", "rotate_secret", "seal", "seal_existing",
           "store_secret", "verify_pin", "write_secret_file"]

logger = logging.getLogger(__name__)

ENV_SECRET_KEY = "CITYCARD_CENTRAL_SECRET_KEY"
ENV_PEPPER = "CITYCARD_CENTRAL_PEPPER"
KIOSK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

_MAGIC = b"\x00ccs1"  # never the start of a secret file's text
_NONCE_LEN = 12


class SecretKeyError(RuntimeError):
    """The server key is missing or wrong for what the database holds."""


def load_key(path: Path | None, env: str, *, create: bool = True) -> bytes | None:
    """Key material from ``path`` (created 0600 with 32 random bytes as hex if missing
    and ``create``; refused if readable by group or others) or else the environment
    variable ``env``; None when neither is given. At least 16 bytes."""
    if path is not None:
        if not path.exists() and create:
            write_secret_file(path, secrets.token_hex(32).encode(), replace=False)
            logger.info("created key file %s", path)
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ValueError(f"{path} has mode {mode:04o}; key files must be 0600")
        material = path.read_bytes().strip()
    else:
        material = os.environ.get(env, "").strip().encode()
        if not material:
            return None
    if len(material) < 16:
        raise ValueError(f"the key in {path or env} is too short (at least 16 bytes)")
    return material


def write_secret_file(path: Path, secret: bytes, *, replace: bool = True) -> None:
    """Write ``secret`` to ``path``, mode 0600 from its first byte: a new file beside it,
    then renamed over ``path`` (a reader sees the old secret or the new one, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not replace and path.exists():
        raise FileExistsError(f"{path} exists")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secret + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# -- sealing kiosk secrets -------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _aead(material: bytes) -> tuple[AESGCM, bytes]:
    derived = hashlib.sha256(b"citycard central secret key v1\x00" + material).digest()
    key_id = hashlib.sha256(b"citycard central key id\x00" + material).digest()[:4]
    return AESGCM(derived), key_id


def is_sealed(stored: bytes) -> bool:
    return stored.startswith(_MAGIC)


def seal(material: bytes, kiosk_id: str, secret: bytes) -> bytes:
    aead, key_id = _aead(material)
    nonce = secrets.token_bytes(_NONCE_LEN)
    return _MAGIC + key_id + nonce + aead.encrypt(nonce, secret, kiosk_id.encode())


def store_secret(material: bytes | None, kiosk_id: str, secret: bytes) -> bytes:
    """What the database keeps of ``secret``: sealed, or clear without a server key."""
    return secret if material is None else seal(material, kiosk_id, secret)


def open_secret(material: bytes | None, kiosk_id: str, stored: bytes) -> bytes:
    if not is_sealed(stored):
        return stored
    if material is None:
        raise SecretKeyError("the kiosk secrets are encrypted: give the server key "
                             f"(--secret-key-file or {ENV_SECRET_KEY})")
    aead, key_id = _aead(material)
    body = stored[len(_MAGIC):]
    if body[:4] != key_id:
        raise SecretKeyError("the kiosk secrets are encrypted under another server key")
    nonce, sealed = body[4:4 + _NONCE_LEN], body[4 + _NONCE_LEN:]
    try:
        return aead.decrypt(nonce, sealed, kiosk_id.encode())
    except InvalidTag:
        raise SecretKeyError(f"kiosk {kiosk_id}'s secret does not open under the server "
                             "key (altered, or moved from another kiosk)") from None


def seal_existing(conn: Connection, material: bytes | None) -> int:
    """The data migration of kiosk secrets: with a key, encrypt every clear secret
    (current and previous) in one transaction and return how many; without one, check
    that nothing is sealed (SecretKeyError) and warn of clear secrets."""
    rows = [(r["kiosk_id"], r["secret"], r["secret_prev"])
            for r in db.rows(conn, "SELECT kiosk_id, secret, secret_prev FROM kiosks")]
    if conn.in_transaction():  # the read's autobegun transaction
        conn.commit()
    clear = [(r[0], col, bytes(r[i])) for r in rows
             for i, col in ((1, "secret"), (2, "secret_prev"))
             if r[i] is not None and not is_sealed(bytes(r[i]))]
    if material is None:
        if any(is_sealed(bytes(r[i])) for r in rows for i in (1, 2) if r[i] is not None):
            raise SecretKeyError("the kiosk secrets are encrypted: give the server key "
                                 f"(--secret-key-file or {ENV_SECRET_KEY})")
        if clear:
            logger.warning("%d kiosk secret(s) stored in clear: run with a server key "
                           "(--secret-key-file or %s) to encrypt them", len(clear),
                           ENV_SECRET_KEY)
        return 0
    for kiosk_id, _, stored in ((r[0], c, bytes(r[i])) for r in rows
                                for i, c in ((1, "secret"), (2, "secret_prev"))
                                if r[i] is not None):
        open_secret(material, kiosk_id, stored)  # a wrong key stops here, before writing
    if not clear:
        return 0
    with db.transaction(conn):
        for kiosk_id, column, secret in clear:
            db.run(conn, f"UPDATE kiosks SET {column} = :sealed WHERE kiosk_id = :kiosk_id",
                   sealed=seal(material, kiosk_id, secret), kiosk_id=kiosk_id)
    logger.info("encrypted %d kiosk secret(s) under the server key", len(clear))
    return len(clear)


def kiosk_secrets(conn: Connection, kiosk_id: str, now: float,
                  material: bytes | None) -> list[bytes]:
    """The secrets a request of ``kiosk_id`` may be signed with now: the current one,
    then the previous one while a rotation's overlap lasts; [] for an unknown kiosk."""
    found_row = db.one(conn, "SELECT secret, secret_prev, secret_prev_until FROM kiosks"
                       " WHERE kiosk_id = :kiosk_id", kiosk_id=kiosk_id)
    row = None if found_row is None else (found_row["secret"], found_row["secret_prev"],
                                          found_row["secret_prev_until"])
    if row is None:
        return []
    found = [open_secret(material, kiosk_id, bytes(row[0]))]
    if row[1] is not None and row[2] is not None and now < int(row[2]):
        found.append(open_secret(material, kiosk_id, bytes(row[1])))
    return found


def rotate_secret(conn: Connection, kiosk_id: str, new_secret: bytes, *,
                  overlap_s: int, now: float, material: bytes | None) -> int:
    """Make ``new_secret`` the kiosk's secret, the current one staying valid for
    ``overlap_s`` more seconds (inside the caller's transaction); the end of the overlap
    (Unix seconds). LookupError for an unknown kiosk. A rotation during an overlap
    drops the oldest secret."""
    if overlap_s < 0:
        raise ValueError("the overlap must not be negative")
    if len(new_secret) < 16:
        raise ValueError("a kiosk secret has at least 16 bytes")
    current = db.scalar(conn, "SELECT secret FROM kiosks WHERE kiosk_id = :kiosk_id",
                        kiosk_id=kiosk_id)
    if current is None:
        raise LookupError(f"no kiosk {kiosk_id}")
    until = int(now) + overlap_s
    old = open_secret(material, kiosk_id, bytes(current))
    db.run(conn, "UPDATE kiosks SET secret = :secret, secret_prev = :prev,"
           " secret_prev_until = :until, secret_rotated_at = :now WHERE kiosk_id = :kiosk_id",
           secret=store_secret(material, kiosk_id, new_secret),
           prev=store_secret(material, kiosk_id, old) if overlap_s else None,
           until=until if overlap_s else None, now=int(now), kiosk_id=kiosk_id)
    return until


# -- payment-password verifiers ----------------------------------------------------------------
@dataclass(frozen=True)
class PinKdf:
    """scrypt's cost: ``n`` (a power of two) × ``r`` × 128 bytes of memory per guess."""

    n: int = 2 ** 15
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError("scrypt n must be a power of two")
        if self.r < 1 or self.p < 1:
            raise ValueError("scrypt r and p must be positive")

    @property
    def memory_bytes(self) -> int:
        return 128 * self.r * self.n

    def label(self, pepper: bytes | None) -> str:
        return f"scrypt:n={self.n},r={self.r},p={self.p},pepper={_pepper_id(pepper)}"


#: The default cost: 32 MiB and ≥ 50 ms a guess on the reference machine
#: (docs/PERFORMANCE.md, "Payment-password verifier"); tests lower it through Settings.
DEFAULT_PIN_KDF = PinKdf()

_LEGACY_ITERATIONS = 20_000  # the PBKDF2 verifiers before scrypt (pin_kdf NULL)
_LABEL = re.compile(r"^scrypt:n=(\d+),r=(\d+),p=(\d+),pepper=([0-9a-f]{8}|none)$")


def _pepper_id(pepper: bytes | None) -> str:
    return "none" if pepper is None else hashlib.sha256(
        b"citycard pepper id\x00" + pepper).hexdigest()[:8]


def _scrypt(pin: str, salt: bytes, kdf: PinKdf, pepper: bytes | None) -> bytes:
    peppered = hmac.new(pepper or b"", pin.encode(), hashlib.sha256).digest()
    return hashlib.scrypt(peppered, salt=salt, n=kdf.n, r=kdf.r, p=kdf.p,
                          maxmem=kdf.memory_bytes + 4 * 1024 * 1024, dklen=32)


def hash_pin(pin: str, salt: bytes, kdf: PinKdf,
             pepper: bytes | None) -> tuple[bytes, str]:
    """``(verifier, pin_kdf label)`` of a new payment password."""
    return _scrypt(pin, salt, kdf, pepper), kdf.label(pepper)


def verify_pin(pin: str, salt: bytes, stored: bytes, label: str | None, *,
               pepper: bytes | None) -> bool:
    """Whether ``pin`` is the password ``stored`` was made from, in constant time.
    A verifier made under another pepper than the server's now cannot be checked:
    logged, and answered as wrong."""
    if label is None:
        computed = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _LEGACY_ITERATIONS)
        return hmac.compare_digest(computed, stored)
    m = _LABEL.match(label)
    if m is None:
        logger.error("a payment-password verifier of unknown kind %r", label)
        return False
    kdf = PinKdf(int(m[1]), int(m[2]), int(m[3]))
    if m[4] != "none" and m[4] != _pepper_id(pepper):
        logger.error("a payment-password verifier was made under another pepper (%s); "
                     "the server's pepper is %s", m[4], _pepper_id(pepper))
        _scrypt(pin, salt, kdf, pepper)  # the same time as any wrong answer
        return False
    return hmac.compare_digest(_scrypt(pin, salt, kdf, pepper if m[4] != "none" else None),
                               stored)


def needs_upgrade(label: str | None, kdf: PinKdf, pepper: bytes | None) -> bool:
    """Whether a verifier just proven right should be made again at today's cost."""
    return label != kdf.label(pepper)
