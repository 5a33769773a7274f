"""The central server under a fleet: signed requests per second against unsigned
``/health``, latency percentiles, and a reconnect storm.

    .venv/bin/python -m bench.central_load                        # 1, 8, 32, 100, 1000 clients
    .venv/bin/python -m bench.central_load --clients 32 100 --seconds 5 --workers 2
    .venv/bin/python -m bench.central_load --src /tmp/old-tree     # another tree's server
    .venv/bin/python -m bench.central_load --postgresql            # on a throwaway PostgreSQL
    .venv/bin/python -m bench.central_load --in-process            # the app alone, and MAC2

Seeds a database (``citycard-central seed``, once per run, in
``var/bench/central-load/``), starts the real server (``citycard-central serve``
in its own process on loopback; ``--src`` runs another source tree's, e.g. an
older commit unpacked with ``git archive``), then, from one asyncio process
(uvloop when installed) holding one keep-alive HTTP/1.1 connection per
simulated kiosk, for each client count runs each kind of request back to back
for ``--seconds``:

- ``health``: ``GET /health``, unsigned — the server's HTTP floor;
- ``card``: the signed card look-up ``GET /v1/cards/{card_no}`` (a kiosk's
  first call after a tap);
- ``heartbeat``: the signed ``POST /v1/kiosk/heartbeat`` (every kiosk, every
  few minutes; a write).

Each signed request has a fresh nonce; each simulated kiosk has its own id
(``KIOSK-BENCH-0000`` …, registered before the run: one kiosk row for all would
make every heartbeat update the same row, a hot spot no fleet has — on
PostgreSQL a serialisation retry storm). Reported per kind: requests/s,
p50/p99 latency, errors, the server's CPU time per request (its process and
workers, from ``/proc``: unlike req/s, it hardly moves with what else runs on a
shared machine); for the signed kinds the ratio to ``health`` at the
same client count (issue 14's goal: ≥ 0.7 at 32 and 100 clients, p99 ≤ 50 ms
at 100).

Then the reconnect storm: ``--storm`` kiosks open a new connection at once and
each sends one signed heartbeat; refused, reset or timed-out connections are
counted and the time until the last answer is measured (goal: none refused,
all within 5 s). Results go to ``bench/results/central_load[-LABEL].json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from protocol.signing import sign_headers

ROOT = Path(__file__).resolve().parents[1]
KIOSK = "KIOSK-DEV-0001"
FLEET = 1000  # kiosks registered for the bench (kiosk_of)
CARDS = ["03104440300000100017", "03104440300000100025", "31044403000000100033"]  # demo serials
HEARTBEAT = json.dumps({"software_version": "bench", "state": "idle",
                        "queue_depth": 0}).encode()


def kiosk_of(n: int) -> str:
    """The simulated kiosk ``n``'s id: each its own, as in a fleet (one kiosk row
    updated by every heartbeat would be a hot spot no fleet has)."""
    return f"KIOSK-BENCH-{n % FLEET:04d}"


def register_fleet(where: list[str], secret: bytes) -> None:
    """Register :data:`FLEET` kiosks, every one with ``secret``."""
    from central.auth import register_kiosk
    from central.db import connect, database_url

    conn = connect(database_url(where[1]))
    try:
        for n in range(FLEET):
            register_kiosk(conn, kiosk_of(n), secret)
    finally:
        conn.close()


def request_bytes(kind: str, host: str, secret: bytes, i: int, kiosk: str = KIOSK) -> bytes:
    if kind == "health":
        return f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    if kind == "card":
        path, method, body = f"/v1/cards/{CARDS[i % len(CARDS)]}", "GET", b""
    else:
        path, method, body = "/v1/kiosk/heartbeat", "POST", HEARTBEAT
    headers = sign_headers(method, path, body, kiosk_id=kiosk, secret=secret)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes,
                    timeout: float, started: float, latencies: list[float],
                    errors: list[str]) -> None:
    """One request on an open connection: its latency from ``started``, and an
    answer other than 200 counted as an error."""
    writer.write(data)
    status = await asyncio.wait_for(read_response(reader), timeout)
    latencies.append(time.perf_counter() - started)
    if status != 200:
        errors.append(f"HTTP {status}")


async def _client(kind: str, host: str, port: int, secret: bytes, until: float,
                  latencies: list[float], errors: list[str], n: int) -> None:
    try:  # a connection the server never accepts (a full backlog) is an error, not a hang
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port),
                                                max(1.0, until - time.monotonic()))
    except (OSError, TimeoutError) as exc:
        errors.append(type(exc).__name__)
        return
    i = n
    try:
        while time.monotonic() < until:
            data = request_bytes(kind, f"{host}:{port}", secret, i, kiosk_of(n))
            i += 1
            await _exchange(reader, writer, data, 30, time.perf_counter(), latencies, errors)
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
        errors.append(type(exc).__name__)
    finally:
        writer.close()


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()  # [0] state, [1] ppid … [11] utime, [12] stime


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the server process and its children (``--workers``)
    have used so far: what a request costs the server, whatever else runs on the
    machine (Linux; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat(int(entry.name))
        if fields and (int(entry.name) == pid or int(fields[1]) == pid):
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run_kind(kind: str, clients: int, host: str, port: int, secret: bytes,
                   seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(*(_client(kind, host, port, secret, until, latencies, errors, n)
                           for n in range(clients)))
    elapsed = time.monotonic() - started
    return {"kind": kind, "clients": clients, "requests": len(latencies),
            "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(_pct(latencies, 0.50), 2), "p99_ms": round(_pct(latencies, 0.99), 2),
            "errors": len(errors), "error_kinds": sorted(set(errors))}


async def storm(n: int, host: str, port: int, secret: bytes,
                timeout: float) -> dict[str, Any]:
    """``n`` kiosks reconnect at once, each with one signed heartbeat."""
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()

    async def one(i: int) -> None:
        t0 = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port),
                                                    timeout)
        except (OSError, TimeoutError) as exc:
            errors.append(type(exc).__name__)
            return
        try:
            await _exchange(reader, writer,
                            request_bytes("heartbeat", f"{host}:{port}", secret, i, kiosk_of(i)),
                            timeout, t0, latencies, errors)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            errors.append(type(exc).__name__)
        finally:
            writer.close()

    await asyncio.gather(*(one(i) for i in range(n)))
    return {"kiosks": n, "served": len(latencies), "errors": len(errors),
            "error_kinds": sorted(set(errors)),
            "all_served_s": round(time.perf_counter() - started, 2),
            "p50_ms": round(_pct(latencies, 0.50), 1), "p99_ms": round(_pct(latencies, 0.99), 1)}


def start_server(src: Path, where: list[str], extra: list[str]
                 ) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.Popen([sys.executable, "-m", "central.cli", "--log-level", "WARNING",
                             "serve", *where, "--port", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=src, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    if not first.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"the server did not start: {first!r}")
    url = first.removeprefix("listening on ")
    deadline = time.monotonic() + 60  # workers start after the line: wait for an answer
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as resp:
                if resp.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.1)
    if "--workers" in extra:  # every worker, not just the first one up
        time.sleep(5)
    return proc, url


# -- in-process: the ASGI app's own cost per request, without sockets --------------------
def _asgi_call(asgi: Any, method: str, path: str, headers: dict[str, str],
               body: bytes = b"") -> Any:
    async def call() -> tuple[int, bytes]:
        raw = [(b"host", b"bench")] + [(k.lower().encode(), v.encode())
                                       for k, v in headers.items()]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": method, "scheme": "http", "path": path,
                 "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": raw, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
                 "state": {}}
        given = False
        out: dict[str, Any] = {"body": b""}

        async def receive() -> dict[str, Any]:
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # no disconnect while the request runs
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                out["status"] = message["status"]
            else:
                out["body"] += message.get("body", b"")

        await asgi(scope, receive, send)
        return int(out["status"]), bytes(out["body"])
    return call()


def in_process(database: str, secret: bytes, requests: int = 400, rounds: int = 5,
               mac2s: int = 200, mac2_idle_ms: float = 0.0) -> dict[str, Any]:
    """Each kind ``requests`` times through the ASGI app on one event loop (no sockets,
    no HTTP parsing), best of ``rounds``: server CPU and wall µs per request; then
    ``mac2s`` MAC2 calls (``POST /v1/load-orders/{id}/mac2``, each on an order
    created just before), wall ms from the app's call to its answer — the span the
    server's own log line gives. ``mac2_idle_ms``: the server idle that long before each
    MAC2, as between a load's create and its MAC2 in a kiosk (INITIALIZE and the round
    trip). Run in the process of the tree being measured."""
    from central.server import App
    from tests.central.card import EPurse

    app = App(database)
    asgi = app.asgi

    def signed(method: str, path: str, payload: Any | None = None,
               key: str | None = None) -> tuple[dict[str, str], bytes]:
        body = b"" if payload is None else json.dumps(payload).encode()
        headers = dict(sign_headers(method, path, body, kiosk_id=KIOSK, secret=secret))
        if body:
            headers |= {"Content-Type": "application/json",
                        "Content-Length": str(len(body))}
        if key:
            headers["Idempotency-Key"] = key
        return headers, body

    def request_of(kind: str) -> tuple[str, str, dict[str, str], bytes]:
        if kind == "health":
            return "GET", "/health", {}, b""
        if kind == "card":
            path = f"/v1/cards/{CARDS[0]}"
            return ("GET", path, *signed("GET", path))
        return ("POST", "/v1/kiosk/heartbeat",
                *signed("POST", "/v1/kiosk/heartbeat", json.loads(HEARTBEAT)))

    async def measure() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with asgi.router.lifespan_context(asgi):
            for kind in ("health", "card", "heartbeat"):
                best: tuple[float, float] | None = None
                for _ in range(rounds):
                    made = [request_of(kind) for _ in range(requests)]  # signed beforehand
                    wall, cpu = time.perf_counter(), time.process_time()
                    for method, path, headers, body in made:
                        status, answer = await _asgi_call(asgi, method, path, headers, body)
                        assert status == 200, (kind, status, answer[:200])
                    took = ((time.perf_counter() - wall) / requests * 1e6,
                            (time.process_time() - cpu) / requests * 1e6)
                    best = took if best is None or took[0] < best[0] else best
                assert best is not None
                out[kind] = {"wall_us": round(best[0]), "cpu_us": round(best[1])}
            card = EPurse(CARDS[1], balance=0, online_ctr=int(time.time()) % 50_000)
            took_ms: list[float] = []
            for n in range(mac2s):
                status, answer = await _asgi_call(asgi, "POST", "/v1/load-orders", *signed(
                    "POST", "/v1/load-orders", {"card_no": CARDS[1], "amount_fen": 10,
                                                "terminal_id": "440300000001"},
                    f"bench-order-{n}-{os.getpid()}"))
                assert status == 201, answer[:200]
                path = f"/v1/load-orders/{json.loads(answer)['order_id']}/mac2"
                init = card.init_load(10, "440300000001").hex()
                headers, body = signed("POST", path, {"init_response": init},
                                       f"bench-mac2-{n}-{os.getpid()}")
                if mac2_idle_ms:
                    await asyncio.sleep(mac2_idle_ms / 1000)
                started = time.perf_counter()
                status, answer = await _asgi_call(asgi, "POST", path, headers, body)
                took_ms.append(time.perf_counter() - started)
                assert status == 200, answer[:200]
                card.online_ctr += 1  # never credited: the next order, the next counter
            out["mac2"] = {"p50_ms": round(_pct(took_ms, 0.5), 2),
                           "p95_ms": round(_pct(took_ms, 0.95), 2), "n": len(took_ms),
                           "idle_before_ms": mac2_idle_ms}
        return out

    try:
        return asyncio.run(measure())
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32, 100, 1000])
    parser.add_argument("--kinds", nargs="+", default=["health", "card", "heartbeat"])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--storm", type=int, default=1000, help="kiosks reconnecting at once "
                        "(0: no storm)")
    parser.add_argument("--workers", type=int, default=None, help="serve --workers")
    parser.add_argument("--src", type=Path, default=ROOT, help="the source tree to serve")
    parser.add_argument("--label", default="", help="suffix of the results file")
    parser.add_argument("--postgresql", action="store_true",
                        help="on a throwaway PostgreSQL server (tests/pgcluster.py: fsync off)")
    parser.add_argument("--in-process", action="store_true",
                        help="the ASGI app's own cost per request and the MAC2 call's, "
                        "without sockets (the --src tree's app, in a process of its own)")
    parser.add_argument("--mac2-idle-ms", type=float, default=0.0,
                        help="--in-process: the server idle this long before each MAC2 "
                        "(as between a kiosk's create and MAC2: try 75)")
    parser.add_argument("--in-process-child", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process_child:
        secret = (ROOT / "var" / "bench" / "central-load" / "kiosk.secret").read_bytes()
        import central

        print(json.dumps(in_process(args.in_process_child, secret.strip(),
                                    mac2_idle_ms=args.mac2_idle_ms)))
        print(f"central from {Path(central.__file__).parent}", file=sys.stderr)
        return
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass

    work = ROOT / "var" / "bench" / "central-load"
    work.mkdir(parents=True, exist_ok=True)
    cluster = None
    if args.postgresql:
        from tests import pgcluster

        cluster = pgcluster.start()
        cluster.admin("CREATE DATABASE bench")
        where = ["--database-url", cluster.url("bench")]
    else:
        db = work / "central.sqlite"
        for old in work.glob("central.sqlite*"):
            old.unlink()
        where = ["--db", str(db)]
    try:
        subprocess.run([sys.executable, "-m", "central.cli", "--log-level", "WARNING", "seed",
                        *where, "--cards", "1000", "--transactions", "20000",
                        "--kiosk-secret", str(work / "kiosk.secret")],
                       check=True, capture_output=True, cwd=ROOT)
        secret = (work / "kiosk.secret").read_bytes().strip()
        database = "postgresql" if cluster else "sqlite"
        if args.in_process:
            _measure_in_process(args, where, database)
            return
        register_fleet(where, secret)
        _measure(args, where, secret, database)
    finally:
        if cluster is not None:
            cluster.stop()


def _measure_in_process(args: argparse.Namespace, where: list[str], database: str) -> None:
    src = args.src.resolve()
    given = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]  # a hook's
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(dict.fromkeys([str(src), str(ROOT), *given]))}
    # (cwd: first on sys.path, so `central` is src's)
    child = subprocess.run([sys.executable, "-m", "bench.central_load", "--in-process-child",
                            where[1], "--mac2-idle-ms", str(args.mac2_idle_ms)], check=True,
                           capture_output=True, text=True, cwd=src, env=env)
    found = json.loads(child.stdout.strip().splitlines()[-1])
    found["central_from"] = child.stderr.strip().splitlines()[-1] if child.stderr else ""
    for kind in ("health", "card", "heartbeat"):
        print(f"in-process  {kind:<9} wall {found[kind]['wall_us']:>6} us/req  "
              f"cpu {found[kind]['cpu_us']:>6} us/req")
    print(f"in-process  mac2      p50 {found['mac2']['p50_ms']} ms  "
          f"p95 {found['mac2']['p95_ms']} ms")
    print(found.pop("central_from"))
    results = {"src": str(args.src), "database": database, "machine": platform.platform(),
               "cpus": os.cpu_count(), "in_process": found}
    name = "central_inproc" + (f"-{args.label}" if args.label else "") + ".json"
    out = ROOT / "bench" / "results" / name
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def _measure(args: argparse.Namespace, where: list[str], secret: bytes, database: str) -> None:
    extra = ["--workers", str(args.workers)] if args.workers else []
    proc, url = start_server(args.src.resolve(), where, extra)
    host, port = url.removeprefix("http://").rsplit(":", 1)
    results: dict[str, Any] = {"src": str(args.src), "database": database,
                               "workers": args.workers or 1,
                               "seconds": args.seconds, "machine": platform.platform(),
                               "cpus": os.cpu_count(), "runs": [], "storm": None}
    try:
        for clients in args.clients:
            by_kind: dict[str, dict[str, Any]] = {}
            for kind in args.kinds:
                cpu_before = server_cpu_s(proc.pid)
                run = asyncio.run(run_kind(kind, clients, host, int(port), secret, args.seconds))
                if run["requests"]:
                    run["server_cpu_us"] = round((server_cpu_s(proc.pid) - cpu_before) * 1e6
                                                 / run["requests"])
                by_kind[kind] = run
                health = by_kind.get("health")
                if kind != "health" and health and health["rps"]:
                    run["ratio_to_health"] = round(run["rps"] / health["rps"], 2)
                results["runs"].append(run)
                print(f"{clients:>5} clients  {kind:<9} {run['rps']:>8.1f} req/s  "
                      f"p50 {run['p50_ms']:>7.2f} ms  p99 {run['p99_ms']:>8.2f} ms  "
                      f"errors {run['errors']}  cpu {run.get('server_cpu_us', 0):>5} us/req"
                      + (f"  ratio {run['ratio_to_health']}" if "ratio_to_health" in run
                         else ""), flush=True)
        if args.storm:
            results["storm"] = asyncio.run(storm(args.storm, host, int(port), secret, 30.0))
            print(f"storm: {results['storm']}", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    name = "central_load" + (f"-{args.label}" if args.label else "") + ".json"
    out = ROOT / "bench" / "results" / name
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
