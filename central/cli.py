"""``citycard-central``: seed a database, register kiosks, serve the API, print the document.

Every command that opens the database takes ``--db PATH`` (an SQLite file, the
embedded default) or ``--database-url URL`` (``postgresql+psycopg://user@host/db``,
or ``sqlite:///PATH``), and first brings its schema to the newest Alembic revision.

    citycard-central seed --db central.sqlite [--cards N] [--transactions M]
                          [--kiosk-secret PATH]
    citycard-central add-kiosk --db central.sqlite --id KIOSK-X --secret-file PATH
    citycard-central rotate-secret --db central.sqlite KIOSK-X --secret-file PATH
                          [--overlap 24h]
    citycard-central add-admin --db central.sqlite NAME [--token-file PATH]
    citycard-central revoke-admin --db central.sqlite NAME
    citycard-central ack-alert --db central.sqlite ID
    citycard-central lift-blacklist --db central.sqlite CARD_NO [--note TEXT]
    citycard-central audit --db central.sqlite [--json] [--limit N]
    citycard-central add-notice --db central.sqlite --kind maintenance --title T
                          --title-zh T --body B --body-zh B --starts ISO --ends ISO
    citycard-central serve --db central.sqlite --host 127.0.0.1 --port 8600
                           [--workers N] [--backlog 2048] [--clock-offset SECONDS]
                           [--risk-config risk.toml] [--admin-token-file PATH]
                           [--secret-key-file PATH] [--pepper-file PATH]
    citycard-central alerts --db central.sqlite [--json] [--rule R] [--severity S]
    citycard-central replace-card --db central.sqlite OLD NEW
    citycard-central openapi > docs/central-api.yaml

``add-notice`` prints the new notice's id; a notice unfit to show (it ends
before it starts, it is over, a text is missing) is refused with the error
shape on stderr (``{"code", "message", "message_zh", "details"}``), exit 1,
and nothing is stored.

Every command that touches kiosk secrets takes ``--secret-key-file`` (created 0600
if missing) or ``CITYCARD_CENTRAL_SECRET_KEY``: with a key, kiosk secrets are stored
encrypted and clear ones already in the database are encrypted on opening; without
one they stay in clear, with a warning (docs/operations.md, "Keys and secrets").
Console actions are recorded in the audit trail as ``console:USER``.

``serve`` runs the FastAPI application (:mod:`central.app`) under uvicorn,
``--workers`` processes sharing one listening socket with a ``--backlog`` sized
for a fleet. It prints ``listening on http://HOST:PORT`` as its first stdout line
(``--port 0`` picks a free port) and stops cleanly on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import re
import secrets
import signal
import ssl
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from central import openapi
from central.admin import add_admin, audit, audit_trail, revoke_admin
from central.auth import ensure_secret_file, register_kiosk
from central.db import Connection, connect, database_url, migrate, transaction
from central.errors import ApiError
from central.keys import ENV_PEPPER, ENV_SECRET_KEY, load_key, seal_existing, write_secret_file
from central.notices import KINDS, add_notice, parse_time
from central.risk import RULES, AlertQuery, RiskSettings, SqlRiskStore, load_risk
from central.routes.admin import (
    DEFAULT_OVERLAP_S,
    acknowledge_alert,
    lift_blacklist,
    record_replacement,
    rotate_kiosk_secret,
)
from central.routes.alerts import alert_view
from central.routes.common import iso
from central.seed import seed
from central.server import DEFAULT_BACKLOG, App, bind, document, tls_context, url_of, uvicorn_config
from central.settings import DEFAULT_HELP_FILE, DEFAULT_KEYS_FILE, Settings
from protocol.masking import mask_card_no, mask_card_numbers

__all__ = ["main"]

logger = logging.getLogger(__name__)

DEMO_KIOSK = "KIOSK-DEV-0001"


@contextlib.contextmanager
def _database(database: Path | str, secret_key: bytes | None = None, *,
              kiosk_secrets: bool = False) -> Iterator[Connection]:
    """The central database (a path or URL), migrated to the current schema, for one
    console command; closed afterwards. For a command that writes ``kiosk_secrets``, they
    are checked against ``secret_key`` first (clear ones sealed when it is given; sealed
    ones without it refused)."""
    conn = connect(database)
    try:
        migrate(conn)
        if kiosk_secrets:
            seal_existing(conn, secret_key)
        yield conn
    finally:
        conn.close()


def _secret_key(args: argparse.Namespace) -> bytes | None:
    return load_key(args.secret_key_file, ENV_SECRET_KEY)


def _actor() -> str:
    return f"console:{getpass.getuser()}"


_DURATION = re.compile(r"^(\d+)([smhd]?)$")


def _duration(text: str) -> int:
    """``90``, ``90s``, ``15m``, ``24h``, ``7d`` → seconds."""
    m = _DURATION.match(text.strip())
    if m is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (90s, 15m, 24h, 7d)")
    return int(m[1]) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m[2]]


def _cmd_seed(args: argparse.Namespace) -> int:
    if args.kiosk_secret is None and args.db is None:
        raise ValueError("with --database-url, name the kiosk's secret file: --kiosk-secret")
    secret_file = args.kiosk_secret or args.db.parent / "kiosk.secret"
    key = _secret_key(args)
    with _database(args.database, key, kiosk_secrets=True) as conn:
        counts = seed(conn, cards=args.cards, transactions=args.transactions,
                      rng_seed=args.seed, pepper=load_key(args.pepper_file, ENV_PEPPER))
        register_kiosk(conn, DEMO_KIOSK, ensure_secret_file(secret_file), key)
    sys.stdout.write(f"seeded {_shown(args)}: {counts['cards']} cards, {counts['transactions']} "
                     f"transactions, {counts['bills']} bills; kiosk {DEMO_KIOSK} "
                     f"(secret {secret_file})\n")
    return 0


def _cmd_add_kiosk(args: argparse.Namespace) -> int:
    key = _secret_key(args)
    with _database(args.database, key, kiosk_secrets=True) as conn:
        register_kiosk(conn, args.id, ensure_secret_file(args.secret_file), key)
        with transaction(conn):
            audit(conn, _actor(), "kiosk_registered", args.id, time.time())
    sys.stdout.write(f"kiosk {args.id} registered (secret {args.secret_file})\n")
    return 0


def _cmd_rotate_secret(args: argparse.Namespace) -> int:
    """The new secret goes into the secret file first (0600, replaced in one rename), then
    into the database: a kiosk reading the file signs with a secret the server accepts
    once this command has finished, and the old one stays valid for the overlap."""
    key = _secret_key(args)
    new_secret = secrets.token_hex(32).encode()
    staged = args.secret_file.with_name(args.secret_file.name + ".new")
    with _database(args.database, key, kiosk_secrets=True) as conn:
        try:
            with transaction(conn):
                _, until = rotate_kiosk_secret(conn, args.kiosk, _actor(), time.time(), key,
                                               args.overlap, new_secret)
                write_secret_file(staged, new_secret)
        except ApiError as exc:
            raise ValueError(exc.message + f" ({args.kiosk})") from None
    os.replace(staged, args.secret_file)
    sys.stdout.write(f"kiosk {args.kiosk}: new secret in {args.secret_file}; the old one "
                     + (f"is accepted until {iso(until)}\n" if until else "is refused now\n"))
    return 0


def _cmd_add_admin(args: argparse.Namespace) -> int:
    with _database(args.database) as conn, transaction(conn):
        token = add_admin(conn, args.name, time.time())
        audit(conn, _actor(), "admin_added", args.name, time.time())
        if args.token_file:
            write_secret_file(args.token_file, token.encode(), replace=False)
    if args.token_file:
        sys.stdout.write(f"admin {args.name} added; token in {args.token_file}\n")
    else:
        sys.stdout.write(f"admin {args.name} added; token (shown once):\n{token}\n")
    return 0


def _cmd_revoke_admin(args: argparse.Namespace) -> int:
    with _database(args.database) as conn, transaction(conn):
        revoke_admin(conn, args.name, time.time())
        audit(conn, _actor(), "admin_revoked", args.name, time.time())
    sys.stdout.write(f"admin {args.name} revoked: its token is refused from now on\n")
    return 0


def _cmd_ack_alert(args: argparse.Namespace) -> int:
    try:
        with _database(args.database) as conn, transaction(conn):
            view = acknowledge_alert(conn, args.id, _actor(), time.time())
    except ApiError as exc:
        raise ValueError(f"alert {args.id}: {exc.message}") from None
    sys.stdout.write(f"alert #{view['id']} ({view['rule']}) acknowledged at "
                     f"{view['acknowledged_at']}\n")
    return 0


def _cmd_lift_blacklist(args: argparse.Namespace) -> int:
    try:
        with _database(args.database) as conn, transaction(conn):
            done = lift_blacklist(conn, args.card, _actor(), time.time(), args.note)
    except ApiError as exc:
        raise ValueError(f"{mask_card_no(args.card)}: {exc.message}") from None
    sys.stdout.write(f"{mask_card_no(args.card)} is off the blacklist (was "
                     f"{done['previous_reason']})\n")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    with _database(args.database) as conn:
        events = audit_trail(conn, limit=args.limit)
    if args.json:
        sys.stdout.write(json.dumps({"events": [{**e, "at": iso(e["at"])} for e in events]},
                                    ensure_ascii=False, indent=2) + "\n")
        return 0
    for e in events:
        sys.stdout.write(f"#{e['id']:<5} {iso(e['at'])}  {e['actor']:<20} {e['action']:<22} "
                         f"{mask_card_numbers(e['subject'])}\n")
    if not events:
        sys.stdout.write("no audit events\n")
    return 0


def _cmd_add_notice(args: argparse.Namespace) -> int:
    try:
        with _database(args.database) as conn, transaction(conn):
            notice_id = add_notice(conn, kind=args.kind, title=args.title,
                                   title_zh=args.title_zh, body=args.body,
                                   body_zh=args.body_zh, starts_at=parse_time(args.starts),
                                   ends_at=parse_time(args.ends), now=int(time.time()))
    except ApiError as exc:
        sys.stderr.write(json.dumps(exc.body(), ensure_ascii=False) + "\n")
        return 1
    sys.stdout.write(f"notice {notice_id} added\n")
    return 0


def _cmd_replace_card(args: argparse.Namespace) -> int:
    try:
        with _database(args.database) as conn, transaction(conn):
            done = record_replacement(conn, args.old, args.new, _actor(), time.time())
    except ApiError as exc:
        raise ValueError(exc.details.get("reason") or exc.message) from None
    sys.stdout.write(f"replacement recorded: {mask_card_no(args.old)} -> "
                     f"{mask_card_no(args.new)}, balance {done['confirmed_balance_fen']} fen "
                     "held\n")
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(single_load_max_fen=args.single_load_max,
                    daily_load_max_fen=args.daily_load_max, purse_cap_fen=args.purse_cap,
                    bill_pin_threshold_fen=args.bill_pin_threshold,
                    pin_max_tries=args.pin_max_tries, pin_lock_s=args.pin_lock_s,
                    points_per_yuan=args.points_per_yuan, tac_counter=args.tac_counter,
                    transfer_hold_s=round(args.transfer_hold_days * 86400), keys_file=args.keys,
                    help_file=args.help_file,
                    risk=load_risk(args.risk_config) if args.risk_config else RiskSettings(),
                    admin_token=(ensure_secret_file(args.admin_token_file)
                                 if args.admin_token_file else None),
                    secret_key=_secret_key(args),
                    pepper=load_key(args.pepper_file, ENV_PEPPER))


#: The command line of ``serve``, handed to each worker process (``--workers`` > 1).
_SERVE_ARGS_ENV = "CITYCARD_CENTRAL_SERVE_ARGS"


def _app(args: argparse.Namespace) -> App:
    offset = float(args.clock_offset)

    def clock() -> float:  # --clock-offset: a server whose clock is off, for kiosks' tests
        return time.time() + offset

    return App(args.database, _settings(args), clock=clock)


def worker_app() -> Any:
    """The ASGI application of one ``serve --workers N`` worker (a uvicorn factory,
    run in a fresh process): built from the same ``serve`` options as the parent's."""
    args = _parser().parse_args(json.loads(os.environ[_SERVE_ARGS_ENV]))
    args.database = database_url(args.database_url or args.db)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s")
    return _app(args).asgi


def _stopped(signum: int, frame: FrameType | None) -> None:
    logger.info("signal %d: stopped", signum)


def _cmd_serve(args: argparse.Namespace) -> int:
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ValueError("--tls-cert and --tls-key go together")
    if args.client_ca and not args.tls_cert:
        raise ValueError("--client-ca needs --tls-cert and --tls-key")
    if args.workers < 1:
        raise ValueError("--workers must be at least 1")
    if not 1 <= args.backlog <= 65535:
        raise ValueError("--backlog must be between 1 and 65535")
    tls = tls_context(args.tls_cert, args.tls_key, args.client_ca) if args.tls_cert else None
    # Everything a bad option or file stops is checked here, once, before the socket
    # (keys, help file, risk thresholds, admin token, migrations).
    app = _app(args)
    sock = bind(args.host, args.port, args.backlog)
    sys.stdout.write(f"listening on {url_of(sock, tls is not None)}\n")
    sys.stdout.flush()
    try:
        if args.workers == 1:
            server = uvicorn.Server(uvicorn_config(app.asgi, backlog=args.backlog, tls=tls))
            # uvicorn stops gracefully on SIGTERM/SIGINT, then raises the signal again for
            # the handler it found: ours is silent, so a stop asked for exits 0.
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, _stopped)
            server.run(sockets=[sock])
        else:
            app.close()
            os.environ[_SERVE_ARGS_ENV] = json.dumps(args.argv)
            tls_files: dict[str, Any] = {}
            if args.tls_cert:
                tls_files = {"ssl_certfile": str(args.tls_cert), "ssl_keyfile": str(args.tls_key)}
                if args.client_ca:
                    tls_files |= {"ssl_ca_certs": str(args.client_ca),
                                  "ssl_cert_reqs": ssl.CERT_REQUIRED}
            config = uvicorn_config("central.cli:worker_app", factory=True,
                                    workers=args.workers, backlog=args.backlog, **tls_files)
            Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
        app.close()
    return 0


def _cmd_alerts(args: argparse.Namespace) -> int:
    if args.db is not None and not args.db.exists():
        raise ValueError(f"{args.db}: no such database")
    if not 1 <= args.limit <= 500:
        raise ValueError("--limit must be between 1 and 500")
    with _database(args.database) as conn:
        found = SqlRiskStore(conn).alerts(AlertQuery(
            rule=args.rule, severity=args.severity, card_no=args.card, kiosk_id=args.kiosk,
            limit=args.limit))
    views = [alert_view(a) for a in found]
    if args.json:
        sys.stdout.write(json.dumps({"alerts": views}, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not views:
        sys.stdout.write("no alerts\n")
    for v in views:
        subject = mask_card_numbers(v["subject"])
        flags = (" BLACKLISTED pending review" if v["card_blacklisted"] else "") + (
            " (acknowledged)" if v["acknowledged_at"] else "")
        sys.stdout.write(f"#{v['id']:<5} {v['last_at']}  {v['severity']:<6} {v['rule']:<18} "
                         f"{v['subject_kind']} {subject} at {v['kiosk_id']}, "
                         f"{v['hits']} hit(s){flags}\n")
    return 0


def _cmd_openapi(args: argparse.Namespace) -> int:
    doc = document()
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n" if args.json
                     else openapi.to_yaml(doc))
    return 0


def _key_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--secret-key-file", type=Path, metavar="PATH",
                   help="the server key kiosk secrets are encrypted under (created 0600 if "
                        f"missing; or {ENV_SECRET_KEY}); without one they are kept in clear")


def _pepper_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pepper-file", type=Path, metavar="PATH",
                   help="the payment-password pepper (created 0600 if missing; or "
                        f"{ENV_PEPPER}); keep it: verifiers made with it need it")


def _database_options(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", type=Path, metavar="PATH",
                       help="an SQLite file (created 0600 if missing)")
    where.add_argument("--database-url", metavar="URL",
                       help="a database URL: postgresql+psycopg://USER@HOST/DB (or "
                            "sqlite:///PATH); see docs/operations.md")


def _shown(args: argparse.Namespace) -> str:
    """The database named in output, without a password."""
    if args.db is not None:
        return str(args.db)
    from sqlalchemy.engine import make_url
    return make_url(args.database_url).render_as_string(hide_password=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citycard-central",
                                     description="Reference central API server for CityCard kiosks")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("seed", help="create and fill a database")
    _database_options(p)
    p.add_argument("--cards", type=int, default=0, help="generated cards beside the demo cards")
    p.add_argument("--transactions", type=int, default=500, help="history rows in all")
    p.add_argument("--kiosk-secret", type=Path, default=None,
                   help=f"secret file of {DEMO_KIOSK} (default: kiosk.secret beside the db)")
    p.add_argument("--seed", type=int, default=4403, help="random seed")
    _key_options(p)
    _pepper_option(p)
    p.set_defaults(func=_cmd_seed)

    p = sub.add_parser("add-kiosk", help="register a kiosk (creates its 0600 secret file)")
    _database_options(p)
    p.add_argument("--id", required=True)
    p.add_argument("--secret-file", type=Path, required=True)
    _key_options(p)
    p.set_defaults(func=_cmd_add_kiosk)

    p = sub.add_parser("rotate-secret", help="give a kiosk a new secret (written 0600 to "
                       "--secret-file); the old one stays valid for --overlap")
    _database_options(p)
    p.add_argument("kiosk", metavar="KIOSK")
    p.add_argument("--secret-file", type=Path, required=True,
                   help="where the new secret is written (replaced in one rename)")
    p.add_argument("--overlap", type=_duration, default=DEFAULT_OVERLAP_S,
                   help="how long the old secret stays valid: 90s, 15m, 24h (default), 7d; "
                        "0 refuses it at once")
    _key_options(p)
    p.set_defaults(func=_cmd_rotate_secret)

    p = sub.add_parser("add-admin", help="create an admin account for /v1/admin/* (prints "
                       "its token once, or writes it 0600 to --token-file)")
    _database_options(p)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--token-file", type=Path)
    p.set_defaults(func=_cmd_add_admin)

    p = sub.add_parser("revoke-admin", help="revoke an admin account's token")
    _database_options(p)
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=_cmd_revoke_admin)

    p = sub.add_parser("ack-alert", help="acknowledge a risk alert")
    _database_options(p)
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(func=_cmd_ack_alert)

    p = sub.add_parser("lift-blacklist", help="take a card off the blacklist after review")
    _database_options(p)
    p.add_argument("card", metavar="CARD_NO")
    p.add_argument("--note", default="", help="why (kept in the audit trail)")
    p.set_defaults(func=_cmd_lift_blacklist)

    p = sub.add_parser("audit", help="the audit trail, newest first: who did what")
    _database_options(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(func=_cmd_audit)

    p = sub.add_parser("add-notice", help="file a notice or maintenance window for the kiosks")
    _database_options(p)
    p.add_argument("--kind", choices=KINDS, default="announcement")
    for name in ("title", "title-zh", "body", "body-zh"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--starts", required=True, help="ISO 8601 (China time without an offset)")
    p.add_argument("--ends", required=True, help="ISO 8601; after --starts")
    p.set_defaults(func=_cmd_add_notice)

    d = Settings()
    p = sub.add_parser("serve", help="serve the API")
    _database_options(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8600, help="0 picks a free port")
    p.add_argument("--tls-cert", type=Path)
    p.add_argument("--tls-key", type=Path)
    p.add_argument("--client-ca", type=Path, help="require client certificates signed by it")
    p.add_argument("--keys", type=Path, default=DEFAULT_KEYS_FILE, help="issuer key file")
    p.add_argument("--help-file", type=Path, default=DEFAULT_HELP_FILE,
                   help="help and emergency guides served to the kiosks (JSON; read on "
                        "each request, checked at start-up)")
    p.add_argument("--single-load-max", type=int, default=d.single_load_max_fen, metavar="FEN")
    p.add_argument("--daily-load-max", type=int, default=d.daily_load_max_fen, metavar="FEN")
    p.add_argument("--purse-cap", type=int, default=d.purse_cap_fen, metavar="FEN")
    p.add_argument("--bill-pin-threshold", type=int, default=d.bill_pin_threshold_fen,
                   metavar="FEN", help="bills above this need the payment password")
    p.add_argument("--pin-max-tries", type=int, default=d.pin_max_tries,
                   help="wrong answers in a row (payment password, or ID number) that lock "
                        "that check of the card")
    p.add_argument("--pin-lock-s", type=int, default=d.pin_lock_s,
                   help="how long such a lock lasts")
    p.add_argument("--points-per-yuan", type=int, default=d.points_per_yuan)
    p.add_argument("--tac-counter", choices=["before", "after"], default=d.tac_counter,
                   help="issuer-specific: online counter in the load TAC before/after increment")
    p.add_argument("--clock-offset", type=float, default=0.0, metavar="SECONDS",
                   help="run the server's clock this far ahead (negative: behind) of the "
                        "machine's, to test kiosks' clock-skew handling")
    p.add_argument("--transfer-hold-days", type=float, default=d.transfer_hold_s / 86400,
                   metavar="DAYS", help="how long a replaced card's balance is held before it "
                   "may move to the new card (late offline records are deducted)")
    p.add_argument("--risk-config", type=Path, metavar="TOML",
                   help="risk thresholds ([risk] table; docs/operations.md)")
    p.add_argument("--admin-token-file", type=Path, metavar="PATH",
                   help="bearer token of /v1/admin/* (created 0600 if missing); "
                        "without it (and without admin accounts) those routes are off")
    p.add_argument("--workers", type=int, default=1,
                   help="server processes sharing the socket (each with its own "
                        "connection pool; SQLite serialises their writes)")
    p.add_argument("--backlog", type=int, default=DEFAULT_BACKLOG,
                   help="listen backlog: connections queued before accept (a fleet "
                        "reconnecting at once; capped by net.core.somaxconn)")
    _key_options(p)
    _pepper_option(p)
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("alerts", help="list risk alerts, newest first")
    _database_options(p)
    p.add_argument("--json", action="store_true", help="JSON (full card numbers) instead of "
                   "lines (masked)")
    p.add_argument("--rule", choices=RULES)
    p.add_argument("--severity", choices=["medium", "high"])
    p.add_argument("--card", metavar="CARD_NO")
    p.add_argument("--kiosk", metavar="KIOSK_ID")
    p.add_argument("--limit", type=int, default=100, help="1-500 (default 100)")
    p.set_defaults(func=_cmd_alerts)

    p = sub.add_parser("replace-card", help="record NEW as the replacement of the lost card "
                       "OLD (the outlet's action); its balance moves after the hold")
    _database_options(p)
    p.add_argument("old", help="the lost card's number")
    p.add_argument("new", help="the replacement card's number")
    p.set_defaults(func=_cmd_replace_card)

    p = sub.add_parser("openapi", help="print the OpenAPI document (YAML)")
    p.add_argument("--json", action="store_true", help="JSON instead of YAML")
    p.set_defaults(func=_cmd_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    args.argv = argv  # serve hands them to its workers
    if hasattr(args, "database_url"):
        args.database = database_url(args.database_url or args.db)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except (ValueError, OSError, RuntimeError) as exc:  # SecretKeyError is a RuntimeError
        logger.error("%s", exc)
        sys.stderr.write(f"citycard-central: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
