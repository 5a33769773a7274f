"""Summarise bench/mac2_marks' file: p50 (and p90) of each interval between marks.

    python bench/mac2_marks/report.py MARKS_FILE [N]

N: the first N lines are one card's loads and the next N the other's (as
``bench.load_window --loads N`` runs them); without N, one group.
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys


def main(argv: list[str]) -> None:
    with open(argv[0], encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    n = int(argv[1]) if len(argv) > 1 else len(rows)
    groups = [(f"lines 1-{n}", rows[:n]), (f"lines {n + 1}-{2 * n}", rows[n:2 * n])]
    for label, group in groups:
        if not group:
            continue
        parts: dict[str, list[float]] = {}
        for row in group:
            for (a, ta, _), (b, tb, _) in itertools.pairwise(row):
                parts.setdefault(f"{a} -> {b}", []).append(tb - ta)
        total = sorted(row[-1][1] for row in group)
        print(f"{label}: {len(group)} MAC2s, _Guard start -> end p50 "
              f"{statistics.median(total):.2f} ms")
        for name, ms in parts.items():
            ms.sort()
            print(f"  p50 {statistics.median(ms):6.3f}  p90 {ms[int(0.9 * (len(ms) - 1))]:6.3f}"
                  f"  {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
