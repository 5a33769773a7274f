"""``kioskctl status`` start-up, this tree against an older one, interleaved.

    rm -rf /tmp/base && mkdir /tmp/base && git archive REV | tar -x -C /tmp/base
    .venv/bin/python -m bench.startup_ab --base /tmp/base            # 30 runs each

One running kioskd (this tree's, with the reference central server); each
round runs ``kioskctl --config … status`` with the base tree first on
``PYTHONPATH``, then with this tree, then ``python -c pass``, so machine load
falls on both alike. p50 of each. What a change costs an operator's command,
when the absolute figures follow the machine's load (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import latency_stack, pct

HERE = Path(__file__).resolve().parents[1]
RUN = "import sys; from daemon.ctl import main; sys.argv[0] = 'kioskctl'; sys.exit(main())"


def _ms(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd="/", check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the older tree")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    trees = {"base": args.base.resolve(), "this": HERE}
    samples: dict[str, list[float]] = {"python -c pass": [], "base": [], "this": []}
    with tempfile.TemporaryDirectory() as tmp, latency_stack(Path(tmp) / "k", 0.0) as stack:
        stack.seed()
        stack.start_central()
        stack.start_kioskd()
        time.sleep(1.0)
        status = [sys.executable, "-c", RUN, "--config", str(stack.config), "status"]
        for _ in range(args.runs):
            for name, tree in trees.items():
                samples[name].append(_ms(status, {**os.environ, "PYTHONPATH": str(tree)}))
            samples["python -c pass"].append(_ms([sys.executable, "-c", "pass"], dict(os.environ)))
    result = {name: round(pct(values, 0.5), 1) for name, values in samples.items()}
    print(json.dumps({"kioskctl status p50_ms": result, "runs": args.runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
