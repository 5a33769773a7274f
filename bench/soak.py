"""Soak: many cardholder sessions through kiosk.sock against one kioskd, and what
the daemon holds afterwards — resident memory and open file descriptors, read
from /proc at the start and the end. The goal: less than 5 % growth.

    .venv/bin/python -m bench.soak                      # 10,000 sessions
    .venv/bin/python -m bench.soak --sessions 500 --out soak-500

The sessions cycle through what cardholders do most: tap and look at the
balance, top up (a ¥5 note and a ¥1 coin, real pulses), pay a small water
bill (a fresh one each time), and look at the history. "Start" is measured
after a warm-up (``--warmup`` sessions, default 10 % of the run, at least 20):
the first sessions load code and fill caches once, which is not a leak (tap
and look alone grows for about 1,000 sessions, then stays flat). The
figures at launch are recorded too, and a sample every ``--every`` sessions.
The money is checked at the end (``kioskctl audit`` holds). Results go to
``bench/results/soak.json`` (``--out``); docs/RELIABILITY.md says how to read
them. Exit status 1 when a session failed, the audit does not hold or
either figure grew by 5 % or more.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.cardholder import Cardholder, new_bill
from bench.common import LONG_RUN_CENTRAL_ARGS, long_run_stack, no_blacklist_args, save
from deploy.stack import Stack

CARD = "03104440300000100017"
KINDS = ("look", "topup", "bill", "history")
GOAL = 0.05
QUIET_S = 1.0


def footprint(pid: int) -> dict[str, int]:
    """Resident memory (kB) and open file descriptors of process ``pid``, from /proc."""
    rss = next(int(line.split()[1]) for line in
               Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    return {"rss_kb": rss, "fds": len(list(Path(f"/proc/{pid}/fd").iterdir()))}


def _session(person: Cardholder, kind: str, rng: random.Random) -> str:
    if kind == "topup":
        return person.top_up(CARD, [500, 100])
    if kind == "bill":
        amount = rng.randrange(100, 600, 10)
        return person.pay_bill(CARD, new_bill(person.stack, amount, rng), amount)
    person.tap(CARD)
    if kind == "history":
        person.stack.kiosk_client.get("/v1/history?limit=20")
    person.leave()
    return "done"


def _quiet_footprint(pid: int) -> dict[str, int]:
    """The footprint once the last session's connections and threads have ended
    (an answer's socket is closed a moment after the client has read it)."""
    time.sleep(QUIET_S)
    return footprint(pid)


def run(stack: Stack, sessions: int, warmup: int, every: int, seed: int,
        kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
    rng = random.Random(seed)
    person = Cardholder(stack, timeout=60)
    pid = stack.procs["kioskd"].pid
    launch = _quiet_footprint(pid)
    samples: list[dict[str, Any]] = [{"session": 0, **launch}]
    times: dict[str, list[float]] = {k: [] for k in kinds}
    failed: list[dict[str, Any]] = []
    start: dict[str, int] | None = None
    for n in range(1, sessions + 1):
        kind = kinds[(n - 1) % len(kinds)]
        t0 = time.monotonic()
        try:
            step = _session(person, kind, rng)
        except Exception as exc:  # every failure is a result, not the end of the run
            step = f"{type(exc).__name__}: {exc}"
            with contextlib.suppress(Exception):
                person.leave()
        times[kind].append(time.monotonic() - t0)
        if step != "done":
            failed.append({"session": n, "kind": kind, "outcome": step[:300]})
        if n == warmup:
            start = _quiet_footprint(pid)
            samples.append({"session": n, **start, "start": True})
        elif n % every == 0 or n == sessions:
            samples.append({"session": n, **_quiet_footprint(pid)})
        else:
            continue
        print(f"session {n:6d}: kioskd RSS {samples[-1]['rss_kb']} kB, "
              f"{samples[-1]['fds']} fds, {len(failed)} failed", flush=True)
    elapsed = sum(sum(v) for v in times.values())  # in sessions, not the pauses to measure
    end = _quiet_footprint(pid)
    start = start or launch
    growth = {k: round((end[k] - start[k]) / start[k], 4) for k in ("rss_kb", "fds")}
    audit = stack.kioskctl("--json", "audit")
    per_session = elapsed / sessions
    return {
        "sessions": sessions, "kinds": list(kinds), "warmup": warmup, "seed": seed,
        "seconds": round(elapsed, 1),
        "seconds_per_session": round(per_session, 3),
        "estimated_seconds_for_10000": round(per_session * 10_000),
        "median_seconds": {k: round(statistics.median(v), 3) for k, v in times.items() if v},
        "at_launch": launch, "start": start, "end": end, "growth": growth,
        "goal_growth": GOAL, "within_goal": all(g < GOAL for g in growth.values()),
        "failed_sessions": failed, "audit_holds": audit.returncode == 0
        and json.loads(audit.stdout).get("holds") is True,
        "samples": samples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=None,
                        help="sessions before 'start' is measured (default 10 %%, at least 20)")
    parser.add_argument("--every", type=int, default=None, help="sample every N sessions")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help=f"the sessions to cycle through (default {','.join(KINDS)})")
    parser.add_argument("--out", default="soak", help="results name under bench/results/")
    args = parser.parse_args(argv)
    # A TERM (a CI timeout, kill PID) unwinds like Ctrl-C: the kiosk's processes stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    warmup = args.warmup if args.warmup is not None else max(20, args.sessions // 10)
    every = args.every or max(1, args.sessions // 20)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp, \
            long_run_stack(Path(tmp) / "kiosk") as stack:
        stack.seed()
        stack.start_central(args=(*LONG_RUN_CENTRAL_ARGS, *no_blacklist_args(Path(tmp))))
        stack.start_kioskd()
        kinds = tuple(k for k in args.kinds.split(",") if k)
        if not kinds or set(kinds) - set(KINDS):
            parser.error(f"--kinds: a comma-separated list of {', '.join(KINDS)}")
        results = run(stack, args.sessions, min(warmup, args.sessions), every, args.seed, kinds)
    save(args.out, results)
    start, end = results["start"], results["end"]
    print(f"{results['sessions']} sessions in {results['seconds']:.0f} s "
          f"({results['seconds_per_session']:.2f} s each; 10,000 would take about "
          f"{results['estimated_seconds_for_10000'] / 3600:.1f} h). kioskd RSS "
          f"{start['rss_kb']} → {end['rss_kb']} kB ({results['growth']['rss_kb']:+.1%}), "
          f"fds {start['fds']} → {end['fds']} ({results['growth']['fds']:+.1%}); "
          f"{len(results['failed_sessions'])} sessions failed; audit "
          + ("holds" if results["audit_holds"] else "DOES NOT HOLD"))
    ok = results["within_goal"] and not results["failed_sessions"] and results["audit_holds"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
