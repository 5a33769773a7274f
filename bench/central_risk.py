"""What the risk monitor adds to a central request, against the floor of one window query.

    .venv/bin/python -m bench.central_risk
    .venv/bin/python -m bench.central_risk --events 20000 --samples 500

Builds a throwaway central database holding ``--events`` risk events (loads,
PIN failures, tears) of the last day spread over ``--cards`` cards and
``--kiosks`` kiosks that all sent a heartbeat, then times, in-process:

- ``floor``: one ``window`` query (the index seek every card rule makes);
- ``observe(load)``, ``observe(pin failure)``, ``observe(heartbeat)``: what a
  request pays in its own transaction (savepoint, record, rules), through
  :func:`central.routes.riskfeed.observe`'s monitor; each sample is rolled back,
  so the commit (which the request pays anyway) is not counted and the
  database does not grow;
- ``sweep``: the silence sweep over every kiosk (its own transaction).

Results go to ``bench/results/central_risk.json``.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import pct, save
from central.db import connect, migrate
from central.risk import (
    Event,
    Heartbeat,
    LoadCompleted,
    Monitor,
    PinFailure,
    RiskSettings,
    SqlRiskStore,
)

NOW = 1_796_000_000


def _build(path: Path, events: int, cards: int, kiosks: int) -> list[str]:
    schema = connect(path)
    migrate(schema)
    schema.close()
    conn = sqlite3.connect(path, isolation_level=None)  # the fixture, written directly
    rng = random.Random(4403)
    numbers = [f"3104440300{i:010d}" for i in range(cards)]
    kiosk_ids = [f"KIOSK-B-{i:04d}" for i in range(kiosks)]
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO kiosks (kiosk_id, secret, created_at, last_seen_at) "
                     "VALUES (?, x'00', ?, ?)", [(k, NOW, NOW - 30) for k in kiosk_ids])
    conn.executemany(
        "INSERT INTO cards (card_no, aid, card_type, holder_name, id_last6, valid_from, "
        "valid_until, status) VALUES (?, 'A0', 'ordinary', '张伟', '000000', '2020-01-01', "
        "'2099-12-31', 'active')", [(n,) for n in numbers])
    conn.executemany(
        "INSERT INTO risk_events (kind, card_no, kiosk_id, amount_fen, at) VALUES (?, ?, ?, ?, ?)",
        [(rng.choice(("load", "load", "load", "pin_failure", "tear")), rng.choice(numbers),
          rng.choice(kiosk_ids), rng.randrange(100, 50_000), NOW - rng.randrange(86_400))
         for _ in range(events)])
    conn.execute("COMMIT")
    conn.close()
    return numbers


def _time(samples: int, run: Callable[[], object]) -> dict[str, float]:
    took = []
    for _ in range(samples):
        started = time.perf_counter()
        run()
        took.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(pct(took, 0.5), 4), "p95_ms": round(pct(took, 0.95), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.central_risk")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--kiosks", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "central.sqlite"
        numbers = _build(path, args.events, args.cards, args.kiosks)
        conn = connect(path)
        store = SqlRiskStore(conn)
        # the defaults, so the rules judge and (rarely) raise as in production
        monitor = Monitor(store, RiskSettings(), lambda: NOW)
        rng = random.Random(1)

        def rolled_back(event: Callable[[], Event]) -> Callable[[], object]:
            def run() -> object:
                if conn.in_transaction():  # the floor's reads began one on their own
                    conn.rollback()
                outer = conn.begin()  # BEGIN IMMEDIATE (central/db.py)
                savepoint = conn.begin_nested()  # as central.routes.riskfeed.observe
                try:
                    return monitor.observe(event())
                finally:
                    savepoint.commit()
                    outer.rollback()
            return run

        def card() -> str:
            return rng.choice(numbers)

        for _ in range(200):  # warm the page cache
            store.window(("load",), card(), NOW - 3600)
        results = {
            "floor (one window query)": _time(args.samples, lambda: store.window(
                ("load",), card(), NOW - 86_400)),
            "observe(load)": _time(args.samples, rolled_back(
                lambda: LoadCompleted(card(), "KIOSK-B-0001", 5000))),
            "observe(pin failure)": _time(args.samples, rolled_back(
                lambda: PinFailure(card(), "KIOSK-B-0001"))),
            "observe(heartbeat)": _time(args.samples, rolled_back(
                lambda: Heartbeat("KIOSK-B-0001"))),
        }

        def sweep() -> object:
            if conn.in_transaction():
                conn.rollback()
            outer = conn.begin()
            try:
                return monitor.sweep()
            finally:
                outer.rollback()
        results[f"sweep ({args.kiosks} kiosks)"] = _time(max(20, args.samples // 20), sweep)
        conn.close()
    floor = results["floor (one window query)"]["p50_ms"]
    for name, r in results.items():
        r["ratio_p50"] = round(r["p50_ms"] / floor, 1)
        print(f"{name:<28} p50 {r['p50_ms']:.3f} ms  p95 {r['p95_ms']:.3f} ms  "
              f"{r['ratio_p50']}x floor")
    save("central_risk", {"events": args.events, "cards": args.cards, "kiosks": args.kiosks,
                          "samples": args.samples, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
