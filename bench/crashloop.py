"""The crash loop: kioskd SIGKILLed at random moments while cardholders top up,
pay bills and finish pending loads; after every round, the money is checked
from outside the daemon.

    .venv/bin/python -m bench.crashloop --kills 1000 --seed 1        # the full run
    .venv/bin/python -m bench.crashloop --kills 60 --seed 7 --seconds 900

Each round picks a demo card and what its holder does — finish a load the
central side holds for the card if there is one, else a top-up (1-3 notes
within the headroom) or a bill payment (a fresh water bill, over the ¥200
password threshold now and then) — over kiosk.sock, with ``kioskctl sim``'s
controls on admin.sock. A timer SIGKILLs kioskd at a moment drawn uniformly
from the round's window (1.25 × what the operation takes, so some kills land on
an idle daemon; every eighth round of a kind runs to its end to measure
that, and is killed just after); with ``--recovery-kills`` probability the
restarted daemon is killed again within its start-up, while it recovers
orders. Then kioskd is started for good, the card is tapped once (so lost
answers are settled from the card's log), and every invariant in
:data:`bench.ledger.INVARIANTS` is checked against the state before the first
round: the journal, the virtual card, the central server's database and
``kioskctl audit``. At the end each card's pending loads are finished without
kills and everything is checked once more.

Bounded by ``--kills`` and ``--seconds``; ``--seed`` makes the choices (not
the timing of the processes) reproducible. The result goes to
``bench/results/crashloop.json`` (``--out``): every failure with its round,
invariant and detail. The exit status is 0 only when every check held.
docs/RELIABILITY.md says how to read it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.cardholder import Cardholder, Cash, new_bill, note_seconds, plan_notes
from bench.common import LONG_RUN_CENTRAL_ARGS, long_run_stack, no_blacklist_args, save
from bench.ledger import INVARIANTS, Failure, Reading, check, read
from config.schema import LimitsSection
from deploy.sessionkit import central_sql
from deploy.stack import Stack
from protocol.localclient import DaemonUnavailable, LocalApiError

CARDS = ["03104440300000100017", "03104440300000100025"]
# How long each operation (and a restart) is first assumed to take, a top-up's notes
# apart (their pulses take a known time: bench.cardholder.note_seconds). Each window
# then follows WINDOW × a running mean of *measured* durations: every MEASURE_EVERY-th
# round of a kind runs to its end and is killed just after. (Learning from the rounds
# that happened to escape their kill would favour the quick ones — a ¥1 top-up over
# three ¥50 notes — and the windows would shrink onto the first note.)
FIRST_DURATION_S = {"topup": 0.3, "bill": 0.3, "pending": 0.3, "restart": 0.8}
LIMITS = LimitsSection()  # the kiosk's own (the crash loop raises only the daily one)
WINDOW = 1.25
MEASURE_EVERY = 8


@dataclass
class Round:
    number: int
    card: str
    op: str
    kill_after_s: float
    notes: list[int] = field(default_factory=list)  # a top-up's notes, fen
    took_s: float | None = None  # measured rounds: how long the operation took
    outcome: str = ""  # the session's last step, or what interrupted it
    killed_in: str = ""  # "operation" | "idle" | "restart" (recovery kills)
    recovery_kill_after_s: float | None = None
    failures: list[dict[str, str]] = field(default_factory=list)


class StopRun(Exception):
    """kioskd does not start again: the run cannot go on."""

    def __init__(self, rnd: Round) -> None:
        super().__init__(rnd.failures[-1]["detail"])
        self.round = rnd


class Killer:
    """SIGKILL one process after a delay, unless cancelled first."""

    def __init__(self, proc: subprocess.Popen[str], delay_s: float) -> None:
        self.proc = proc
        self.fired = threading.Event()
        self._timer = threading.Timer(delay_s, self._kill)
        self._timer.daemon = True
        self._timer.start()

    def _kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.fired.set()

    def wait(self) -> None:
        self._timer.join()
        self.proc.wait()


class CrashLoop:
    def __init__(self, stack: Stack, rng: random.Random, *, recovery_kills: float) -> None:
        self.stack = stack
        self.rng = rng
        self.recovery_kills = recovery_kills
        self.cash = Cash()
        self.person = Cardholder(stack, self.cash, timeout=30)
        self.took = dict(FIRST_DURATION_S)
        self.done = dict.fromkeys(FIRST_DURATION_S, 0)  # rounds of each kind so far
        self.kills = 0
        self.base: Reading | None = None

    # -- one round -----------------------------------------------------------------------
    def _pending(self, card: str) -> bool:
        return bool(central_sql(self.stack, "SELECT 1 FROM orders WHERE card_no = ? AND kind ="
                                " 'load' AND status IN ('created', 'mac2_issued')", card))

    def _choose(self, card: str) -> str:
        if self._pending(card):
            return "pending"
        balance = read(self.stack, [card], audit=False).cards[card].balance_fen
        if balance < 3000:
            return "topup"
        if balance > 80000:
            return "bill"
        return self.rng.choice(["topup", "bill"])

    def _operate(self, op: str, card: str, notes: list[int]) -> str:
        if op == "topup":
            return self.person.top_up(card, notes)
        if op == "pending":
            return self.person.complete_pending(card)
        balance = read(self.stack, [card], audit=False).cards[card].balance_fen
        # Now and then over the password threshold, when the balance allows.
        top = min(balance, 30000 if self.rng.random() < 0.2 else 15000)
        amount = self.rng.randrange(100, max(top, 110), 10)
        return self.person.pay_bill(card, new_bill(self.stack, amount, self.rng), amount)

    def round(self, number: int) -> Round:
        card = self.rng.choice(CARDS)
        op = self._choose(card)
        measuring = self.done[op] % MEASURE_EVERY == 0
        self.done[op] += 1
        notes: list[int] = []
        if op == "topup":
            balance = read(self.stack, [card], audit=False).cards[card].balance_fen
            room = min(LIMITS.single_load_max_fen, LIMITS.purse_cap_fen - balance)
            notes = plan_notes(room, self.rng.randint(1, 3), self.rng)
        pulsing = note_seconds(notes)  # the notes' own time, known before they go in
        delay = self.rng.uniform(0, WINDOW * max(0.1, self.took[op] + pulsing))
        rnd = Round(number, card, op, round(delay, 3), notes=notes)
        kioskd = self.stack.procs["kioskd"]
        killer = None if measuring else Killer(kioskd, delay)
        started = time.monotonic()
        try:
            rnd.outcome = self._operate(op, card, notes)
        except Exception as exc:  # a killed daemon breaks a call in many ways
            rnd.outcome = f"{type(exc).__name__}: {str(exc)[:160]}"
            if killer is None or not killer.fired.is_set():  # the daemon refused, say
                rnd.outcome = "before the kill: " + rnd.outcome
        if killer is None:  # measured: killed just after, while idle
            took = time.monotonic() - started
            rnd.took_s = round(took, 3)
            self._learn(op, took - pulsing)
            after = self.rng.uniform(0, (WINDOW - 1) * took)
            rnd.kill_after_s = round(took + after, 3)
            killer = Killer(kioskd, after)
        rnd.killed_in = "idle" if not killer.fired.is_set() else "operation"
        killer.wait()
        self.kills += 1
        try:
            self._restart(rnd)
        except RuntimeError as exc:
            rnd.failures.append({"invariant": "kioskd_restarts", "detail": str(exc)})
            raise StopRun(rnd) from exc
        self._settle(card)
        assert self.base is not None
        reading = read(self.stack, CARDS)
        rnd.failures = [asdict(f) for f in check(self.base, reading, sent_fen=self.cash.sent_fen,
                                                acked_fen=self.cash.acked_fen, tapped=card)]
        return rnd

    def _restart(self, rnd: Round) -> None:
        """Start kioskd again; sometimes kill it once more while it recovers."""
        if self.rng.random() < self.recovery_kills:
            delay = self.rng.uniform(0, WINDOW * self.took["restart"])
            rnd.recovery_kill_after_s = round(delay, 3)
            holder: dict[str, Killer] = {}
            spawned = threading.Thread(target=self._arm_on_spawn, args=(delay, holder),
                                       daemon=True)
            spawned.start()
            with contextlib.suppress(RuntimeError):  # killed before it answered: the point
                self.stack.start_kioskd()
            spawned.join()
            killer = holder.get("killer")
            if killer is not None:
                killer.wait()
                if killer.fired.is_set():
                    self.kills += 1
                    rnd.killed_in += "+restart"
        started = time.monotonic()
        self.stack.start_kioskd()
        self._learn("restart", time.monotonic() - started)

    def _learn(self, what: str, took: float) -> None:
        """A measured duration: the window follows it (a mean over the last few)."""
        self.took[what] = 0.5 * self.took[what] + 0.5 * took

    def _arm_on_spawn(self, delay: float, holder: dict[str, Killer]) -> None:
        old = self.stack.procs.get("kioskd")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            proc = self.stack.procs.get("kioskd")
            if proc is not None and proc is not old:
                holder["killer"] = Killer(proc, delay)
                return
            time.sleep(0.005)

    def _settle(self, card: str) -> None:
        """The cardholder taps once more: lost answers are settled from the card's log."""
        try:
            self.person.tap(card)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and any(
                    o["card_no"] == card and o["state"] in ("credit_sent", "debit_sent")
                    for o in read(self.stack, [card], audit=False).orders):
                time.sleep(0.1)
            self.person.leave()
        except (DaemonUnavailable, LocalApiError, AssertionError) as exc:
            print(f"  settling tap failed: {exc}", file=sys.stderr)

    def finish(self) -> list[Failure]:
        """No more kills: finish every pending load, then check everything."""
        for card in CARDS:
            for _ in range(20):
                if not self._pending(card):
                    break
                try:
                    self.person.complete_pending(card)
                except (LocalApiError, AssertionError) as exc:
                    print(f"  finishing a pending load failed: {exc}", file=sys.stderr)
                    break
        assert self.base is not None
        return check(self.base, read(self.stack, CARDS), sent_fen=self.cash.sent_fen,
                     acked_fen=self.cash.acked_fen, tapped=None)


def _summary(rounds: list[Round], final: list[Failure]) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = {name: {"failed_rounds": 0, "first_failure": None}
                                      for name in INVARIANTS}
    for rnd in rounds:
        for f in rnd.failures:
            entry = per[f["invariant"]]
            entry["failed_rounds"] += 1
            if entry["first_failure"] is None:
                entry["first_failure"] = {"round": rnd.number, "op": rnd.op, "card": rnd.card,
                                          "kill_after_s": rnd.kill_after_s,
                                          "killed_in": rnd.killed_in, "detail": f["detail"]}
    for f in final:
        per[f.invariant]["final"] = f.detail
    return per


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.crashloop", description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000, help="stop after this many SIGKILLs")
    parser.add_argument("--seconds", type=float, default=4 * 3600, help="stop after this long")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recovery-kills", type=float, default=0.25,
                        help="probability of a second kill during the restart's recovery")
    parser.add_argument("--stop-at-first", action="store_true",
                        help="stop at the first round whose checks fail")
    parser.add_argument("--out", default="crashloop", help="results name under bench/results/")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the kiosk lives (default: a temporary directory)")
    args = parser.parse_args(argv)
    # A TERM (a CI timeout, kill PID) unwinds like Ctrl-C: the kiosk's processes stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    started = time.monotonic()
    rounds: list[Round] = []
    with contextlib.ExitStack() as cleanup:
        workdir = args.workdir or Path(cleanup.enter_context(
            tempfile.TemporaryDirectory(prefix="crashloop-")))
        stack = cleanup.enter_context(long_run_stack(workdir / "kiosk"))
        stack.seed()
        stack.start_central(args=(*LONG_RUN_CENTRAL_ARGS, *no_blacklist_args(workdir)))
        stack.start_kioskd()
        loop = CrashLoop(stack, rng, recovery_kills=args.recovery_kills)
        stack.admin_client.get("/v1/sim/cards")  # the wallet file is written on first use
        loop.base = read(stack, CARDS)
        while loop.kills < args.kills and time.monotonic() - started < args.seconds:
            try:
                rnd = loop.round(len(rounds) + 1)
            except StopRun as stop:
                rounds.append(stop.round)
                print(f"round {stop.round.number}: kioskd does not start again: {stop}")
                break
            rounds.append(rnd)
            print(f"round {rnd.number:4d} {rnd.op:<8} card …{rnd.card[-4:]} kill at "
                  f"{rnd.kill_after_s:5.2f} s ({rnd.killed_in}): {rnd.outcome[:60]}"
                  + "".join(f"\n    FAILED {f['invariant']}: {f['detail']}"
                            for f in rnd.failures), flush=True)
            if rnd.failures and args.stop_at_first:
                break
        final = loop.finish() if stack.procs["kioskd"].poll() is None else [
            Failure("kioskd_restarts", "kioskd is not running at the end")]
        elapsed = time.monotonic() - started
        kills = loop.kills
        journaled = read(stack, CARDS, audit=False).cash_fen - loop.base.cash_fen
        cash = {**asdict(loop.cash), "journaled_fen": journaled,
                "cut_mid_train_fen": loop.cash.sent_fen - journaled,
                "typical_seconds": {k: round(v, 2) for k, v in loop.took.items()}}
    for f in final:
        print(f"final: FAILED {f.invariant}: {f.detail}")
    failed_rounds = [r for r in rounds if r.failures]
    ok = not failed_rounds and not final
    per = _summary(rounds, final)
    save(args.out, {
        "ok": ok, "seed": args.seed, "kills": kills, "kills_requested": args.kills,
        "rounds": len(rounds), "seconds": round(elapsed, 1),
        "seconds_limit": args.seconds, "recovery_kill_probability": args.recovery_kills,
        "kills_by_moment": {moment: sum(1 for r in rounds if r.killed_in.startswith(moment))
                            for moment in ("operation", "idle")}
        | {"restart": sum(1 for r in rounds if r.killed_in.endswith("+restart"))},
        "rounds_by_operation": {op: sum(1 for r in rounds if r.op == op)
                                for op in ("topup", "bill", "pending")},
        "cash": cash, "invariants": per, "failed_rounds": len(failed_rounds),
        "final_failures": [asdict(f) for f in final],
        "rounds_detail": [asdict(r) for r in rounds],
    })
    print(f"{kills} kills in {len(rounds)} rounds, {elapsed:.0f} s: "
          + ("every invariant held" if ok else
             f"{len(failed_rounds)} rounds failed: "
             + ", ".join(f"{name} (first in round {v['first_failure']['round']})"
                         for name, v in per.items() if v["first_failure"])
             + (f"; at the end: {', '.join(f.invariant for f in final)}" if final else "")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
