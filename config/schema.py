"""The kiosk's configuration schema: one typed, frozen dataclass per TOML table.

Every key a deployment can set is declared here, with its type, default and
constraint. :mod:`config.loader` reads a TOML file against this schema and
reports *every* problem at once. Nothing here reads files or the environment.

Amounts are integer fen (``*_fen``); durations say their unit in the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from protocol.cardno import T_UNION_AID as T_UNION_AID  # re-exported

CITY_UNION_AID = "A00000000386980701"

_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
_KIOSK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
_GROUP = re.compile(r"^([a-z_][a-z0-9_-]{0,31})?$")
_HOTLINE = re.compile(r"^\+?[0-9][0-9 -]{1,18}[0-9]$")


def _choice(*allowed: object) -> dict[str, Any]:
    return {"choices": allowed}


def _range(lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    return {"min": lo, "max": hi}


def _check_hex(n_bytes: int | None = None) -> dict[str, Any]:
    def check(value: str) -> str | None:
        if not _HEX.match(value):
            return "must be hex digits, an even number of them"
        if n_bytes is not None and len(value) != 2 * n_bytes:
            return f"must be {n_bytes} bytes ({2 * n_bytes} hex digits)"
        return None

    return {"check": check}


def _check_aids(values: list[str]) -> str | None:
    for aid in values:
        if not _HEX.match(aid) or not 5 <= len(aid) // 2 <= 16:
            return f"{aid!r} is not an AID (5 to 16 bytes in hex)"
    return None


def _check_kiosk_id(value: str) -> str | None:
    return None if _KIOSK_ID.match(value) else "must be 1-32 letters, digits or '-'"


def _check_pulse_table(table: dict[str, int]) -> str | None:
    if not table:
        return "must map at least one pulse count to a value"
    for count, fen in table.items():
        if not count.isdigit() or not 1 <= int(count) <= 100:
            return f"pulse count {count!r} must be a whole number from 1 to 100"
        if fen <= 0 or fen % 10:
            return f"value for {count} pulses must be a positive amount in fen (whole jiao)"
    if len(set(table.values())) != len(table):
        return "two pulse counts map to the same value"
    return None


def _check_group(value: str) -> str | None:
    return None if _GROUP.match(value) else "must be a group name (lower-case, up to 32)"


def _check_time_zone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return (f"{value!r} is not an IANA time zone such as 'Asia/Shanghai' known to this "
                "system (its tz database: Debian's tzdata)")
    return None


def _check_hotline(value: str) -> str | None:
    if _HOTLINE.fullmatch(value):
        return None
    return "must be a phone number: digits, spaces or '-', 3 to 20 characters, e.g. '12345'"


def _check_url(value: str) -> str | None:
    return None if re.match(r"^https?://[^/\s]+", value) else "must be an http:// or https:// URL"


@dataclass(frozen=True)
class KioskSection:
    """Who this kiosk is to the central side."""

    id: str = field(default="KIOSK-DEV-0001", metadata={"check": _check_kiosk_id})
    terminal_id: str = field(default="000000000001", metadata=_check_hex(6))
    secret_file: Path = Path("/etc/citycard/kiosk.secret")
    language: str = field(default="zh", metadata=_choice("zh", "en"))
    # Every time shown or printed is in this zone, whatever the host's own: the card
    # log and the central side keep China time.
    time_zone: str = field(default="Asia/Shanghai", metadata={"check": _check_time_zone})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class PathsSection:
    """Where the daemon keeps sockets and state. Relative paths are resolved
    against the directory of the config file."""

    run_dir: Path = Path("/run/citycard")
    state_dir: Path = Path("/var/lib/citycard")
    journal: Path | None = None  # default: state_dir/journal.sqlite
    sim_wallet: Path | None = None  # default: state_dir/sim-wallet.json
    socket_mode: int = field(default=0o660, metadata=_choice(0o600, 0o660))
    # The group each socket file is given ("" keeps the daemon's own group): the
    # touchscreen's user is in kiosk_socket_group, operators in admin_socket_group.
    kiosk_socket_group: str = field(default="", metadata={"check": _check_group})
    admin_socket_group: str = field(default="", metadata={"check": _check_group})


@dataclass(frozen=True)
class CentralSection:
    """The card issuer's backend."""

    url: str = field(default="http://127.0.0.1:8600", metadata={"check": _check_url})
    ca_file: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    connect_timeout_s: float = field(default=3.0, metadata=_range(0.1, 60))
    read_timeout_s: float = field(default=10.0, metadata=_range(0.1, 120))
    retries: int = field(default=2, metadata=_range(0, 10))


@dataclass(frozen=True)
class ReaderSection:
    """The contactless reader and the e-purse application (issuer-specific points)."""

    path: str = "usb:054c:06c3"
    aids: list[str] = field(
        default_factory=lambda: [T_UNION_AID, CITY_UNION_AID], metadata={"check": _check_aids}
    )
    fallback_df: bool = True
    key_index: int = field(default=1, metadata=_range(0, 255))
    tac_counter: str = field(default="before", metadata=_choice("before", "after"))
    balance_high_bit: str = field(default="ignore", metadata=_choice("ignore", "overdraft"))
    max_records: int = field(default=10, metadata=_range(0, 10))
    poll_interval_ms: int = field(default=10, metadata=_range(2, 100))


@dataclass(frozen=True)
class PrinterSection:
    """The receipt printer."""

    backend: str = field(default="usb", metadata=_choice("usb", "serial", "network", "file", "sim"))
    usb_vendor_id: int = field(default=0x0416, metadata=_range(0, 0xFFFF))
    usb_product_id: int = field(default=0x5011, metadata=_range(0, 0xFFFF))
    serial_device: str = "/dev/ttyUSB0"
    serial_baudrate: int = field(default=9600, metadata=_choice(9600, 19200, 38400, 57600, 115200))
    host: str = "192.168.1.100"
    port: int = field(default=9100, metadata=_range(1, 65535))
    file_path: Path = Path("/dev/usb/lp0")
    paper_width_mm: int = field(default=80, metadata=_choice(58, 80))
    chinese: str = field(default="gb18030", metadata=_choice("gb18030", "raster"))
    profile: str = "default"


@dataclass(frozen=True)
class CashSection:
    """The pulse-output bill/coin acceptor on GPIO (BCM pin numbers)."""

    pulse_pin: int = field(default=17, metadata=_range(0, 53))
    inhibit_pin: int = field(default=27, metadata=_range(0, 53))
    jam_pin: int | None = field(default=None, metadata=_range(0, 53))
    cashbox_pin: int | None = field(default=None, metadata=_range(0, 53))
    pulse_active_high: bool = False
    inhibit_active_high: bool = True
    pulse_min_ms: int = field(default=20, metadata=_range(1, 1000))
    pulse_max_ms: int = field(default=200, metadata=_range(1, 1000))
    train_gap_ms: int = field(default=300, metadata=_range(20, 5000))
    # pulse count -> value in fen: ¥1 coin, then ¥5/¥10/¥20/¥50/¥100 notes
    pulse_table: dict[str, int] = field(
        default_factory=lambda: {"1": 100, "5": 500, "10": 1000, "20": 2000,
                                 "50": 5000, "100": 10000},
        metadata={"check": _check_pulse_table},
    )


@dataclass(frozen=True)
class LimitsSection:
    """Money limits the kiosk shows and checks; the central side is authoritative."""

    single_load_max_fen: int = field(default=50000, metadata=_range(100, 10_000_000))
    daily_load_max_fen: int = field(default=100000, metadata=_range(100, 10_000_000))
    purse_cap_fen: int = field(default=100000, metadata=_range(100, 10_000_000))
    bill_password_threshold_fen: int = field(default=20000, metadata=_range(0, 10_000_000))


@dataclass(frozen=True)
class UiSection:
    """The touchscreen application."""

    idle_timeout_s: int = field(default=60, metadata=_range(5, 3600))
    font: Path | None = None
    fullscreen: bool = True


@dataclass(frozen=True)
class ServiceSection:
    """What the cardholder is told about getting help."""

    # printed on every receipt's footer; 12345 is the city's public service hotline
    hotline: str = field(default="12345", metadata={"check": _check_hotline})


_CITY = re.compile(r"^[0-9]{4}$")
OTHER_CITY_SERVICES = ("balance", "history", "topup")


def _check_cities(values: list[str]) -> str | None:
    for code in values:
        if not _CITY.match(code):
            return f"{code!r} is not a city code (4 digits, issuer id bytes 2-3)"
    return None


def _check_services(values: list[str]) -> str | None:
    for name in values:
        if name not in OTHER_CITY_SERVICES:
            return f"{name!r} is not one of {', '.join(OTHER_CITY_SERVICES)}"
    return None


@dataclass(frozen=True)
class InteropSection:
    """Cards of other cities (互联互通): which city is ours, what other cities' cards
    may do here."""

    home_cities: list[str] = field(default_factory=lambda: ["4403"],
                                   metadata={"check": _check_cities})
    other_city_services: list[str] = field(default_factory=lambda: ["balance", "history"],
                                           metadata={"check": _check_services})
    # top-up for these cities' cards, where the central side knows the card (it
    # accepts that issuer); "topup" must also be in other_city_services
    topup_cities: list[str] = field(default_factory=list, metadata={"check": _check_cities})


@dataclass(frozen=True)
class SimSection:
    """Simulated hardware for ``kioskd --simulate`` (ignored otherwise)."""

    rf_latency_ms: int = field(default=0, metadata=_range(0, 1000))


@dataclass(frozen=True)
class Config:
    """The whole configuration, loaded once at an entry point and passed down."""

    kiosk: KioskSection = field(default_factory=KioskSection)
    paths: PathsSection = field(default_factory=PathsSection)
    central: CentralSection = field(default_factory=CentralSection)
    reader: ReaderSection = field(default_factory=ReaderSection)
    printer: PrinterSection = field(default_factory=PrinterSection)
    cash: CashSection = field(default_factory=CashSection)
    limits: LimitsSection = field(default_factory=LimitsSection)
    ui: UiSection = field(default_factory=UiSection)
    service: ServiceSection = field(default_factory=ServiceSection)
    interop: InteropSection = field(default_factory=InteropSection)
    sim: SimSection = field(default_factory=SimSection)
    source: Path | None = None

    @property
    def kiosk_socket(self) -> Path:
        return self.paths.run_dir / "kiosk.sock"

    @property
    def admin_socket(self) -> Path:
        return self.paths.run_dir / "admin.sock"

    @property
    def journal_path(self) -> Path:
        return self.paths.journal or self.paths.state_dir / "journal.sqlite"

    @property
    def wallet_path(self) -> Path:
        return self.paths.sim_wallet or self.paths.state_dir / "sim-wallet.json"
