"""History page for one card through the central API, against the raw query.

    .venv/bin/python -m bench.central_history                       # 1,000,000 rows
    .venv/bin/python -m bench.central_history --transactions 100000 --requests 300
    .venv/bin/python -m bench.central_history --postgresql --transactions 100000 \
        --requests 300 --out bench/results/central_history_pg.json

``--postgresql`` runs the server on a throwaway PostgreSQL server (tests/pgcluster.py,
as the tests do; built anew each run) instead of the SQLite file ``--db``.

Builds (once; reused while it exists) a database of ``--transactions`` rows
spread over ``--cards`` cards plus the demo cards, starts the real server
(``citycard-central serve`` in its own process, loopback), and times the
same page three ways, sequentially on one keep-alive connection:

- ``raw SQL``: :data:`central.routes.cards.HISTORY_SQL` on an open connection
  (the floor: what the page costs the database);
- ``HTTP floor``: ``GET /health`` (unsigned, no query): the server's HTTP cost;
- ``API``: the signed ``GET /v1/cards/{card}/transactions`` — signing, the nonce
  stored in the request's transaction (committed without a synchronous flush),
  validation, the query, JSON.

Two pages: the newest (no cursor) and one deep in the history (cursor at the
middle of the card's rows). Results go to ``bench/results/central_history.json``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from central import db as central_db
from central.auth import register_kiosk
from central.client import SignedClient
from central.db import Connection, connect, migrate
from central.routes.cards import HISTORY_SQL, encode_cursor
from central.seed import seed

CARD = "03104440300000100017"
KIOSK = "KIOSK-BENCH-0001"
ROOT = Path(__file__).resolve().parent.parent
FAR = 2**62


def build(db: Path | str, cards: int, transactions: int) -> float | None:
    """Seed the database unless it is already there; seconds taken, or None if reused."""
    if isinstance(db, Path):
        if db.exists():
            return None
        db.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    conn = connect(db)
    migrate(conn)
    if central_db.scalar(conn, "SELECT COUNT(*) FROM cards"):
        conn.close()
        return None
    seed(conn, cards=cards, transactions=transactions)
    conn.commit()
    conn.exec_driver_sql("ANALYZE")
    conn.commit()
    conn.close()
    return time.perf_counter() - started


def raw_query(conn: Connection) -> Callable[[dict[str, Any]], list[Any]]:
    """:data:`HISTORY_SQL` on the driver's own connection, no SQLAlchemy in between."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if conn.dialect.name == "sqlite":
        statement = HISTORY_SQL  # sqlite3 takes :name binds itself
    else:
        statement = str(central_db.sql(HISTORY_SQL).compile(dialect=conn.dialect))

    def run(params: dict[str, Any]) -> list[Any]:
        cur = dbapi.cursor()
        cur.execute(statement, params)
        rows = list(cur.fetchall())
        cur.close()
        return rows
    return run


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": statistics.median(ordered),
            "p95_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
            "n": len(ordered)}


def timed(fn: Callable[[], Any], n: int, warmup: int = 20) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def start_server(db: Path | str) -> tuple[subprocess.Popen[str], str]:
    where = ["--db", str(db)] if isinstance(db, Path) else ["--database-url", db]
    proc = subprocess.Popen(
        [sys.executable, "-m", "central.cli", "--log-level", "WARNING", "serve", *where,
         "--host", "127.0.0.1", "--port", "0"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench" / "central-1m.sqlite")
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--cards", type=int, default=993, help="generated cards (+7 demo)")
    parser.add_argument("--requests", type=int, default=1000, help="samples per measurement")
    parser.add_argument("--limit", type=int, default=20, help="page size")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" /
                        "central_history.json")
    parser.add_argument("--postgresql", action="store_true",
                        help="on a throwaway PostgreSQL server instead of the SQLite --db")
    args = parser.parse_args()

    cluster = None
    database: Path | str = args.db
    if args.postgresql:
        from tests import pgcluster

        cluster = pgcluster.start()
        cluster.admin("CREATE DATABASE bench")
        database = cluster.url("bench")
    try:
        run_bench(args, database)
    finally:
        if cluster is not None:
            cluster.stop()


def run_bench(args: argparse.Namespace, database: Path | str) -> None:
    built = build(database, args.cards, args.transactions)
    conn = connect(database)
    total = central_db.scalar(conn, "SELECT COUNT(*) FROM transactions")
    rows = central_db.rows(conn, "SELECT occurred_at, id FROM transactions WHERE card_no = :c "
                           "ORDER BY occurred_at DESC, id DESC", c=CARD)
    middle = (rows[len(rows) // 2]["occurred_at"], rows[len(rows) // 2]["id"])
    secret = secrets.token_hex(32).encode()
    register_kiosk(conn, KIOSK, secret)
    raw_sql = raw_query(conn)
    print(f"database {conn.dialect.name}: {total:,} transactions, {len(rows):,} for card "
          f"{CARD[:4]}…{CARD[-4:]}" + (f" (built in {built:.1f} s)" if built else " (reused)"))

    pages = {"newest": ((FAR, FAR), ""),
             "deep": ((middle[0], middle[1]),
                      f"&cursor={encode_cursor(middle[0], middle[1])}")}
    proc, url = start_server(database)
    results: dict[str, Any] = {
        "transactions": total, "card_rows": len(rows), "page_size": args.limit,
        "requests": args.requests, "machine": f"{platform.machine()} {platform.system()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        + (f"SQLite {__import__('sqlite3').sqlite_version}" if conn.dialect.name == "sqlite"
           else f"PostgreSQL {conn.dialect.server_version_info}"),
        "database": conn.dialect.name, "pages": {}}
    try:
        session = requests.Session()
        client = SignedClient(url, KIOSK, secret, session=session)
        results["http_floor"] = timed(lambda: session.get(url + "/health", timeout=10),
                                      args.requests)
        for name, (before, cursor) in pages.items():
            path = f"/v1/cards/{CARD}/transactions?limit={args.limit}{cursor}"
            first = client.get(path)
            assert first.status_code == 200 and len(first.json()["items"]) == args.limit, \
                first.text
            params: dict[str, Any] = {
                "card_no": CARD, "start": 0, "end": FAR, "before_at": before[0],
                "before_id": before[1], "limit": args.limit + 1}
            raw_ids = [r[0] for r in raw_sql(params)[:args.limit]]
            assert raw_ids == [i["id"] for i in first.json()["items"]], "API and SQL disagree"
            raw = timed(functools.partial(raw_sql, params), args.requests)
            api = timed(functools.partial(client.get, path), args.requests)
            results["pages"][name] = {
                "raw_sql": raw, "api": api,
                "ratio_p50": api["p50_ms"] / raw["p50_ms"],
                "ratio_p95": api["p95_ms"] / raw["p95_ms"]}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        conn.close()

    floor = results["http_floor"]
    print(f"{'page':<8}{'raw SQL p50/p95 ms':>22}{'API p50/p95 ms':>20}{'ratio p50/p95':>16}")
    for name, r in results["pages"].items():
        print(f"{name:<8}{r['raw_sql']['p50_ms']:>12.3f} / {r['raw_sql']['p95_ms']:<7.3f}"
              f"{r['api']['p50_ms']:>10.2f} / {r['api']['p95_ms']:<7.2f}"
              f"{r['ratio_p50']:>8.0f} / {r['ratio_p95']:<5.0f}")
    print(f"HTTP floor (GET /health): p50 {floor['p50_ms']:.2f} ms, p95 {floor['p95_ms']:.2f} ms")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
