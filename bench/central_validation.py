"""What checking a request body costs the central server, against parsing it.

    .venv/bin/python -m bench.central_validation [--out FILE]

For a few bodies kioskd sends (valid) and one with four problems, the time of
``central.validation.problems`` against the body's generated schema (the
``jsonschema`` library, what every POST pays), beside the floor: ``json.loads`` of
the same bytes, which every POST pays anyway. Best of 5 runs of 2,000 calls each (200 for the
largest body),
in one process, so the ratios hold on a busy machine better than the times do.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from central.openapi import SCHEMAS
from central.schemas import body_ref
from central.validation import problems
from protocol import central as c

BODIES: list[tuple[str, type[c.CentralRequest], dict[str, Any]]] = [
    ("createLoadOrder", c.LoadOrderCreate,
     {"card_no": "31044403000000100017", "amount_fen": 5000, "terminal_id": "440300000001",
      "balance_fen": 1200}),
    ("confirmPurchaseOrder (one-of)", c.PurchaseConfirm,
     {"tac": "1A2B3C4D", "mac2": "00000000"}),
    ("uploadEvents (10 events)", c.EventBatch,
     {"events": [{"event_id": f"e-{i}", "kind": "fault",
                  "occurred_at": "2026-12-02T10:00:00+08:00", "data": {"device": "printer"}}
                 for i in range(10)]}),
    ("uploadEvents (100 events, the most)", c.EventBatch,
     {"events": [{"event_id": f"e-{i}", "kind": "fault",
                  "occurred_at": "2026-12-02T10:00:00+08:00", "data": {"device": "printer"}}
                 for i in range(100)]}),
    ("createLoadOrder, 4 problems", c.LoadOrderCreate,
     {"card_no": "123", "amount_fen": 0, "terminal_id": "XYZ", "bonus": 1}),
]


def _best_us(fn: Callable[[], object], number: int = 2000) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.central_validation")
    parser.add_argument("--out", type=Path, help="write the results as JSON")
    args = parser.parse_args(argv)
    rows = []
    for name, model, body in BODIES:
        raw = json.dumps(body).encode()
        schema = body_ref(model)
        number = 200 if len(raw) > 2000 else 2000
        floor = _best_us(lambda raw=raw: json.loads(raw), number)
        check = _best_us(lambda body=body, schema=schema: problems(body, schema,
                                                                     components=SCHEMAS),
                         number)
        rows.append({"body": name, "json_loads_us": round(floor, 1),
                     "validate_us": round(check, 1), "ratio": round(check / floor, 1)})
        print(f"{name:32s} json.loads {floor:6.1f} µs   validate {check:6.1f} µs   "
              f"×{check / floor:5.1f}")
    if args.out:
        args.out.write_text(json.dumps({"python": sys.version.split()[0],
                                        "machine": platform.machine(), "rows": rows},
                                       indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
