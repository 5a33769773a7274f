"""How long one payment-password guess costs the central server: the verifier's scrypt
at the default parameters (central/keys.py), timed on this machine.

    .venv/bin/python bench/pin_kdf.py [--rounds 20]

Prints the parameters, the memory a guess needs, and the median and fastest time of
``verify_pin`` (the work an attacker with the database and the pepper repeats per guess).
The rule (issue 14): at least 50 ms a guess on the reference machine.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import time

from central.keys import DEFAULT_PIN_KDF, hash_pin, verify_pin


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    kdf, pepper, salt = DEFAULT_PIN_KDF, secrets.token_bytes(32), secrets.token_bytes(16)
    verifier, label = hash_pin("147258", salt, kdf, pepper)
    times = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        verify_pin("000000", salt, verifier, label, pepper=pepper)
        times.append((time.perf_counter() - started) * 1000)
    load = os.getloadavg()[0]
    print(f"scrypt n={kdf.n} r={kdf.r} p={kdf.p}: {kdf.memory_bytes // 2**20} MiB a guess; "
          f"{args.rounds} guesses: median {statistics.median(times):.1f} ms, fastest "
          f"{min(times):.1f} ms, slowest {max(times):.1f} ms (load average {load:.2f}, "
          f"{os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
