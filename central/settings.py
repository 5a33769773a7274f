"""The reference server's tunables: money limits, PIN policy and issuer-specific choices.

Defaults follow issue 4 (single load ¥500, daily loads ¥1000, e-purse cap
¥1000); every amount is integer fen. Built once by the CLI and passed down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from central.keys import DEFAULT_PIN_KDF, PinKdf
from central.risk.settings import RiskSettings

__all__ = ["DEFAULT_HELP_FILE", "DEFAULT_KEYS_FILE", "Settings"]

DEFAULT_KEYS_FILE = Path(__file__).resolve().parent.parent / "config" / "sim" / "dev-keys.toml"
# The help and emergency guides (protocol.helpdoc); the issuer passes its own.
DEFAULT_HELP_FILE = Path(__file__).resolve().parent.parent / "config" / "help.json"


@dataclass(frozen=True)
class Settings:
    """Server policy. ``tac_counter`` is issuer-specific: whether a load's TAC
    covers the online counter before (default) or after its increment."""

    single_load_max_fen: int = 50_000
    daily_load_max_fen: int = 100_000
    purse_cap_fen: int = 100_000
    bill_pin_threshold_fen: int = 20_000
    # One rule for guessing a card's secrets (central/routes/lockout.py): the payment
    # password and the holder's ID number, each counted on its own.
    pin_max_tries: int = 3
    pin_lock_s: int = 1800
    points_per_yuan: int = 100
    tac_counter: str = "before"
    # After a replacement card is recorded, the old card's balance is held this long
    # (late offline transit records of the old card still arrive and are deducted).
    transfer_hold_s: int = 7 * 86400
    keys_file: Path = field(default=DEFAULT_KEYS_FILE)
    help_file: Path = field(default=DEFAULT_HELP_FILE)
    max_body_bytes: int = 64 * 1024
    # The risk rules' thresholds (central/risk/, docs/operations.md "Risk rules and alerts").
    risk: RiskSettings = field(default_factory=RiskSettings)
    # The bearer token of /v1/admin/* (--admin-token-file); None turns those routes off.
    admin_token: bytes | None = field(default=None, repr=False)
    # The server key kiosk secrets are encrypted under (--secret-key-file or
    # CITYCARD_CENTRAL_SECRET_KEY; central/keys.py); None keeps them in clear, with a warning.
    secret_key: bytes | None = field(default=None, repr=False)
    # The payment-password verifiers: scrypt's cost and the server-side pepper
    # (--pepper-file or CITYCARD_CENTRAL_PEPPER). Tests lower the cost; the default
    # meets the ≥ 50 ms a guess rule (docs/PERFORMANCE.md).
    pin_kdf: PinKdf = field(default=DEFAULT_PIN_KDF)
    pepper: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.tac_counter not in ("before", "after"):
            raise ValueError("tac_counter must be 'before' or 'after'")
        if self.transfer_hold_s < 0:
            raise ValueError("transfer_hold_s must not be negative")
        for name in ("single_load_max_fen", "daily_load_max_fen", "purse_cap_fen",
                     "pin_max_tries", "pin_lock_s", "points_per_yuan"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
