"""Signed GETs per second at the central server, against unsigned ``GET /health``.

    .venv/bin/python -m bench.central_signed                    # SQLite, 1/8/32 clients
    .venv/bin/python -m bench.central_signed --postgresql
    .venv/bin/python -m bench.central_signed --root /tmp/old-checkout   # another build

Seeds a small database (the demo cards), starts ``citycard-central serve`` in its
own process (from ``--root``, by default this checkout: so one build's server can
be compared with another's on the same machine, same minute), and for each client
count runs that many threads, each on its own keep-alive connection, for
``--seconds``: first ``GET /health`` (unsigned, no database write), then the signed
``GET /v1/cards/{card}`` (signature check, the nonce stored, the card read). Every
signed answer must be 200. Prints requests/s, the signed/unsigned ratio and p50/p99;
``--out`` writes the JSON.

The nonce is the database write every signed GET makes; this measures what it costs
with the other HTTP and handler work around it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from bench.common import pct
from central.client import SignedClient

ROOT = Path(__file__).resolve().parent.parent
CARD = "03104440300000100017"  # a demo T-Union serial (pad digit 0)
KIOSK = "KIOSK-DEV-0001"


def _cli(root: Path, *args: str, **kw: Any) -> Any:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.Popen([sys.executable, "-m", "central.cli", "--log-level", "WARNING",
                             *args], cwd=root, env=env, text=True, **kw)


def _load(n_clients: int, seconds: float, make: Callable[[], Callable[[], int]]
          ) -> dict[str, float]:
    took: list[float] = []
    bad = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        call = make()
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            if call() != 200:
                failed += 1
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            took.extend(mine)
            bad[0] += failed

    threads = [threading.Thread(target=worker) for _ in range(n_clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    assert bad[0] == 0, f"{bad[0]} answers were not 200"
    return {"rps": round(len(took) / elapsed, 1), "p50_ms": round(pct(took, 0.5), 2),
            "p99_ms": round(pct(took, 0.99), 2), "n": len(took)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.central_signed")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose server runs")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--postgresql", action="store_true",
                        help="on a throwaway PostgreSQL server (tests/pgcluster.py)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgresql:
            from tests import pgcluster

            cluster = pgcluster.start()
            cluster.admin("CREATE DATABASE bench")
            where = ["--database-url", cluster.url("bench")]
        else:
            where = ["--db", str(Path(tmp) / "central.sqlite")]
        secret_file = Path(tmp) / "kiosk.secret"
        try:
            seeded = _cli(args.root, "seed", *where, "--kiosk-secret", str(secret_file),
                          "--transactions", "100")
            assert seeded.wait(timeout=120) == 0, "seed failed"
            secret = secret_file.read_bytes().strip()
            server = _cli(args.root, "serve", *where, "--port", "0", stdout=subprocess.PIPE)
            line = server.stdout.readline().strip()
            assert line.startswith("listening on "), line
            url = line.removeprefix("listening on ")
            results: dict[str, Any] = {
                "database": "postgresql" if cluster else "sqlite", "root": str(args.root),
                "seconds": args.seconds, "machine": f"{platform.machine()} "
                f"{platform.system()}, {os.cpu_count()} CPUs, Python "
                f"{platform.python_version()}", "clients": {}}
            try:
                for n in args.clients:
                    def health() -> Callable[[], int]:
                        session = requests.Session()
                        return lambda: session.get(url + "/health", timeout=30).status_code

                    def signed() -> Callable[[], int]:
                        client = SignedClient(url, KIOSK, secret, session=requests.Session(),
                                              timeout=30)
                        return lambda: client.get(f"/v1/cards/{CARD}").status_code

                    unsigned = _load(n, args.seconds, health)
                    card = _load(n, args.seconds, signed)
                    ratio = round(card["rps"] / unsigned["rps"], 2)
                    results["clients"][str(n)] = {"health": unsigned, "signed_get": card,
                                                  "ratio": ratio}
                    print(f"{n:>4} clients: /health {unsigned['rps']:>7.0f}/s "
                          f"(p50 {unsigned['p50_ms']} ms, p99 {unsigned['p99_ms']} ms); "
                          f"signed GET {card['rps']:>7.0f}/s (p50 {card['p50_ms']} ms, "
                          f"p99 {card['p99_ms']} ms); ratio {ratio}", flush=True)
            finally:
                server.terminate()
                server.wait(timeout=10)
        finally:
            if cluster is not None:
                cluster.stop()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
