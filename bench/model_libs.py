"""What a typed-model library costs a process: msgspec Structs against pydantic v2.

    .venv/bin/pip install pydantic                  # not a dependency: only for this comparison
    .venv/bin/python -m bench.model_libs            # 20 runs each
    .venv/bin/python -m bench.model_libs --runs 40

A library that is not installed is left out of the results.

Each case is a new interpreter (as ``kioskctl`` and kioskd start) that imports
the library, defines the same nested models (a state snapshot: card, records,
notice, session — the shape the local API sends most) and decodes one snapshot
from JSON bytes. Measured: wall time from exec to exit and the resident set
(``VmRSS``) at exit, against ``python -c pass``-like floor (``json`` only, the
same snapshot decoded into dicts). Results go to ``bench/results/model_libs.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from typing import Any

from bench.common import pct, save

_SNAPSHOT = json.dumps({
    "seq": 7, "screen": "card", "language": "zh",
    "card": {"card_no_masked": "3104****0017", "card_type": "ordinary", "balance_fen": 1234,
             "valid_from": "2020-01-01", "valid_until": "2030-01-01", "status": "active",
             "points": 10, "pending_load_fen": None, "central": "ok",
             "records": [{"when": "2026-12-01T10:00:00", "kind": "load", "amount_fen": 1000,
                          "terminal_id": "0000000001", "source": "card"}] * 10},
    "notice": None, "devices": {"reader": "ok", "printer": "ok"}, "central": "up",
    "session": None, "maintenance": None})

_RSS = """
from pathlib import Path
for line in Path('/proc/self/status').read_text().splitlines():
    if line.startswith('VmRSS:'):
        print(int(line.split()[1]))
"""

_FLOOR = f"""
import json
snap = json.loads({_SNAPSHOT!r})
""" + _RSS

_MSGSPEC = f"""
from typing import Literal
import msgspec

class Record(msgspec.Struct, frozen=True):
    when: str
    kind: str
    amount_fen: int
    terminal_id: str
    source: Literal["card", "central"] = "card"

class Card(msgspec.Struct, frozen=True):
    card_no_masked: str
    card_type: str
    balance_fen: int
    valid_from: str
    valid_until: str
    status: str
    points: int | None = None
    pending_load_fen: int | None = None
    central: Literal["ok", "offline", "unknown_card", "pending"] = "pending"
    records: list[Record] = []

class Notice(msgspec.Struct, frozen=True):
    code: str
    message: str
    message_zh: str

class Session(msgspec.Struct, frozen=True):
    kind: str
    step: str
    card_no_masked: str
    amount_fen: int = 0

class Snapshot(msgspec.Struct, frozen=True):
    seq: int
    screen: str
    language: Literal["zh", "en"]
    card: Card | None = None
    notice: Notice | None = None
    devices: dict[str, str] = {{}}
    central: str = "unknown"
    session: Session | None = None
    maintenance: str | None = None

snap = msgspec.json.decode({_SNAPSHOT!r}.encode(), type=Snapshot)
""" + _RSS

_PYDANTIC = f"""
from typing import Literal
from pydantic import BaseModel, ConfigDict

class M(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

class Record(M):
    when: str
    kind: str
    amount_fen: int
    terminal_id: str
    source: Literal["card", "central"] = "card"

class Card(M):
    card_no_masked: str
    card_type: str
    balance_fen: int
    valid_from: str
    valid_until: str
    status: str
    points: int | None = None
    pending_load_fen: int | None = None
    central: Literal["ok", "offline", "unknown_card", "pending"] = "pending"
    records: list[Record] = []

class Notice(M):
    code: str
    message: str
    message_zh: str

class Session(M):
    kind: str
    step: str
    card_no_masked: str
    amount_fen: int = 0

class Snapshot(M):
    seq: int
    screen: str
    language: Literal["zh", "en"]
    card: Card | None = None
    notice: Notice | None = None
    devices: dict[str, str] = {{}}
    central: str = "unknown"
    session: Session | None = None
    maintenance: str | None = None

snap = Snapshot.model_validate_json({_SNAPSHOT!r})
""" + _RSS

CASES = {"json (floor)": _FLOOR, "msgspec": _MSGSPEC, "pydantic v2": _PYDANTIC}


def _run(code: str, runs: int) -> dict[str, float]:
    walls, rss = [], []
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # warm
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                             text=True).stdout
        walls.append((time.perf_counter() - started) * 1000)
        rss.append(int(out.split()[-1]) / 1024)
    return {"p50_ms": round(pct(walls, 0.5), 1), "p95_ms": round(pct(walls, 0.95), 1),
            "rss_mb": round(pct(rss, 0.5), 1)}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {name: _run(code, args.runs) for name, code in CASES.items()
                               if name == "json (floor)" or _installed(name.split()[0])}
    floor = results["json (floor)"]
    for row in results.values():
        row["over_floor_ms"] = round(row["p50_ms"] - floor["p50_ms"], 1)
        row["over_floor_mb"] = round(row["rss_mb"] - floor["rss_mb"], 1)
    results["runs"] = args.runs
    print(json.dumps(results, indent=2))
    save("model_libs", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
