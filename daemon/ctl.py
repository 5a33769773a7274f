"""kioskctl: the operator's command line, over admin.sock. Every command has --json.

Exit status: 0 ok, 1 the daemon refused or reported a failure, 2 usage or
configuration error, 3 no daemon on the socket.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from config import DEFAULT_CONFIG, ConfigError, load_config
from daemon import metrics
from daemon.about import package_version
from protocol import local as m
from protocol.localclient import DaemonUnavailable, LocalApiError, LocalClient
from protocol.money import format_fen
from protocol.wire import to_json

__all__ = ["main"]


def _out(args: argparse.Namespace, payload: Any, human: Callable[[Any], str]) -> None:
    text = json.dumps(payload, ensure_ascii=False, indent=2) if args.json else human(payload)
    sys.stdout.write(text.rstrip("\n") + "\n")


def _human_status(s: dict[str, Any]) -> str:
    lines = [f"kiosk     {s['kiosk_id']}  (kioskd {s['version']}"
             f"{', simulated hardware' if s['simulate'] else ''})",
             f"screen    {s['screen']}"
             + (f"  maintenance: {s['maintenance']}" if s.get("maintenance") else ""),
             f"central   {s['central']['link']}  {s['central']['url']}"
             + (f"  last error: {s['central']['last_error']}"
                if s['central']['link'] != 'up' and s['central']['last_error'] else "")]
    if s["central"]["link"] == "unauthorized":
        lines.append("          the central side refuses this kiosk's signature: check the "
                     "kiosk id, the secret file and the clock; no money until it accepts")
    clock = s.get("clock")
    if clock:
        lines.append(_human_clock(clock))
    devices = s["devices"]
    if "reader" in devices:
        lines.append(f"reader    {devices['reader']['state']}  {devices['reader']['path']}")
    if "printer" in devices:
        printer = devices["printer"]
        lines.append(f"printer   {printer['status']['state']}  {printer['name']}"
                     f"  paper {printer['status']['paper']}")
    if "cash" in devices:
        cash = devices["cash"]
        state = "inhibited" if cash["inhibited"] else "accepting"
        lines.append(f"cash      {state} ({cash['reason']})"
                     + (f"  faults: {', '.join(cash['faults'])}" if cash["faults"] else ""))
    outbox = s.get("outbox")
    if outbox:
        lines.append(f"outbox    {outbox['depth']} waiting for the central side"
                     + (f", {len(outbox['parked'])} refused (see --json)"
                        if outbox["parked"] else ""))
    return "\n".join(lines)


def _human_clock(clock: dict[str, Any]) -> str:
    skew = clock.get("skew_s")
    measured = "not measured yet" if skew is None else (
        f"{abs(skew):.1f} s {'behind' if skew > 0 else 'ahead of'} the central side")
    line = f"clock     {clock['state']}  {measured} (window ±{clock['window_s']} s)"
    if clock["state"] == "skewed":
        line += ("\n          past the signature window"
                 + (" (the central side refuses this kiosk's timestamp)"
                    if clock.get("refused") else "")
                 + ": no top-up, bill or load until it is back; check systemd-timesyncd "
                   "(timedatectl timesync-status)")
    return line


def parse_yuan(text: str) -> int:
    """'50', '0.5', '1.00' -> fen. Refuses negatives, fractions of a fen and non-numbers."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount in yuan") from None
    fen = value * 100
    if not value.is_finite() or fen != fen.to_integral_value() or fen <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a positive amount in yuan with at most two decimals")
    return int(fen)


def _human_card(c: dict[str, Any]) -> str:
    lines = [f"card      {c.get('card_no')}  type {c.get('card_type')}",
             f"valid     {c.get('valid_from')} .. {c.get('valid_until')}",
             f"balance   {c.get('balance_fen')} fen"]
    for r in c.get("records", []):
        lines.append(f"  {r}")
    return "\n".join(lines)


def _client(args: argparse.Namespace) -> LocalClient:
    if args.socket:
        return LocalClient(args.socket)
    return LocalClient(load_config(args.config).admin_socket)


def _cmd_status(args: argparse.Namespace) -> int:
    _out(args, to_json(_client(args).status()), _human_status)
    return 0


def _cmd_card_read(args: argparse.Namespace) -> int:
    card = _client(args).post("/v1/admin/card/read", {"timeout_s": args.timeout},
                              timeout=args.timeout + 5)
    _out(args, card, _human_card)
    return 0


def _cmd_sim_tap(args: argparse.Namespace) -> int:
    tapped = _client(args).call("POST", "/v1/sim/tap", m.Tapped, m.SimTap(card_no=args.card_no))
    _out(args, to_json(tapped), lambda r: "ok")
    return 0


def _cmd_sim_remove(args: argparse.Namespace) -> int:
    _out(args, to_json(_client(args).call("POST", "/v1/sim/remove", m.Removed)), lambda r: "ok")
    return 0


def _cmd_sim_cards(args: argparse.Namespace) -> int:
    cards = _client(args).call("GET", "/v1/sim/cards", m.SimCards)
    _out(args, to_json(cards), lambda r: "\n".join(r["cards"]))
    return 0


def _cmd_sim_insert(args: argparse.Namespace) -> int:
    result = _client(args).call("POST", "/v1/sim/insert", m.SimInserted,
                                m.SimInsert(amount_fen=args.amount, force=args.force),
                                timeout=60)
    _out(args, to_json(result), _human_insert)
    return 0 if result.accepted else 1


def _human_insert(r: dict[str, Any]) -> str:
    if not r["accepted"]:
        return (f"refused: the acceptor is inhibited ({r['inhibit_reason']}); "
                "--force drives the pulses anyway, as a faulty acceptor would")
    lines = [f"{e['kind']} {e['value_fen']} fen ({e['pulses']} pulses), journal row {e['id']}"
             for e in r["journaled"]]
    return "\n".join(lines) or "no cash event decoded"


def _cmd_printer(args: argparse.Namespace) -> int:
    result = _client(args).call("POST", "/v1/admin/printer/test", m.PrintResult, timeout=30)
    _out(args, to_json(result), lambda r: f"printed test page {r['reference']}"
         + (f" (preview {r['preview']})" if r.get("preview") else "") if r["printed"]
         else f"not printed: {r['error']}")
    return 0 if result.printed else 1


def _cmd_audit(args: argparse.Namespace) -> int:
    query = f"?since={time.time() - args.days * 86400:.0f}" if args.days else ""
    result = _client(args).call("GET", f"/v1/admin/audit{query}", m.Audit)
    _out(args, to_json(result), _human_audit)
    return 0 if result.holds else 1


def _human_audit(r: dict[str, Any]) -> str:
    columns = ("cash_in_fen", "credited_fen", "pending_fen", "owed_fen")

    def amounts(row: dict[str, Any]) -> str:
        return " ".join(f"{format_fen(int(row[c])):>11}" for c in columns)

    lines = [f"{'session':<14} {'card':<6} {'cash in':>11} {'credited':>11} {'pending':>11}"
             f" {'owed':>11}  ok"]
    for s in r["sessions"]:
        lines.append(f"{s['session_id']:<14} …{s['card_no_last4']:<5} {amounts(s)}  "
                     f"{'yes' if s['holds'] else 'NO'}")
    t = r["totals"]
    lines.append(f"{'total':<21} {amounts(t)}  {'holds' if r['holds'] else 'DOES NOT HOLD'}")
    lines.append(f"unidentified trains: {t['unidentified']}   "
                 f"unattributed cash: {format_fen(int(t['unattributed_fen']))}")
    for key, title in (("transfers", "balance transfers (no cash)"),
                       ("repayments", "overdraft repayments (in credited)")):
        moved = r.get(key) or {}
        if any(figure[0] for figure in moved.values()):
            lines.append(f"{title}: " + "   ".join(
                f"{name} {figure[0]} × {format_fen(int(figure[1]))}"
                for name, figure in moved.items()))
    return "\n".join(lines)


def _cmd_maintenance(args: argparse.Namespace) -> int:
    body = m.Maintenance(on=args.state == "on", message=args.message or None)
    result = to_json(_client(args).call("POST", "/v1/admin/maintenance", m.StateSnapshot, body))
    _out(args, result, lambda r: "maintenance "
         + (f"on: {r['maintenance']}" if r["maintenance"] else "off"))
    return 0


def _cmd_cashbox(args: argparse.Namespace) -> int:
    _out(args, _client(args).get("/v1/admin/cashbox"), _human_cashbox)
    return 0


def _cmd_cashbox_collect(args: argparse.Namespace) -> int:
    result = _client(args).post("/v1/admin/cashbox/collect", {"operator": args.operator})
    _out(args, result, lambda r: f"collected {format_fen(r['collected_fen'])} in {r['pieces']} "
         f"pieces ({r['unidentified']} unidentified), slip {r['reference']}"
         + ("" if r["printed"] else " NOT PRINTED"))
    return 0


def _human_cashbox(r: dict[str, Any]) -> str:
    def pieces(counts: dict[str, Any]) -> str:
        by_value = sorted(counts["notes"].items(), key=lambda item: int(item[0]))
        notes = ", ".join(f"{count} × {format_fen(int(fen))}" for fen, count in by_value)
        return (notes or "empty") + (f"; {counts['unidentified']} unidentified"
                                     if counts["unidentified"] else "")
    last = r["last_collection_at"]
    return (f"in the box     {format_fen(r['short_fen'])}  ({pieces(r['short'])})\n"
            f"since install  {format_fen(r['long_fen'])}  ({pieces(r['long'])})\n"
            f"last collected {last if last else 'never'}")


def _cmd_receipts(args: argparse.Namespace) -> int:
    query = "?unprinted=1" if args.unprinted else ""
    result = _client(args).get(f"/v1/admin/receipts{query}")
    _out(args, result, lambda r: "\n".join(
        f"{x['id']:<32} {x['kind']:<18} "
        + ("printed" if x["printed_at"] else f"NOT PRINTED: {x['last_error']}")
        for x in r["receipts"]) or "no receipts")
    return 0


def _cmd_reprint(args: argparse.Namespace) -> int:
    result = _client(args).post("/v1/admin/receipts/reprint", {"id": args.id}, timeout=30)
    _out(args, result, lambda r: f"reprinted {r['reference']}" if r["printed"]
         else f"not printed: {r['error']}")
    return 0 if result["printed"] else 1


def _cmd_settlement(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.close:  # the Z report: closes the day
        body = {"date": args.date} if args.date else {}
        result = client.post("/v1/admin/settlement", body, timeout=30)
    else:  # the X report: a view, nothing printed or numbered
        query = f"?{urlencode({'date': args.date})}" if args.date else ""
        result = client.get(f"/v1/admin/settlement{query}")
    _out(args, result, _human_settlement)
    return 0


def _human_settlement(r: dict[str, Any]) -> str:
    def line(name: str, figure: list[int]) -> str:  # [count, fen]
        return f"{name:<15}{figure[0]:>4} × {format_fen(int(figure[1])):>11}"

    if r["report"] == "Z":
        title = f"Z{r['z_number']} for {r['business_date']}"
        if r["already_closed"]:
            closed = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["generated_at"]))
            title += f" (closed already at {closed}: reprinted, no new number"
            title += "; the day's figures have changed since)" if r["changed_since_close"] \
                else ")"
        title += "" if r["printed"] else "  — NOT PRINTED"
    else:
        closed_z = r["closed"]
        title = f"X for {r['business_date']} (so far; not printed" + (
            f"; closed as Z{closed_z['z_number']})" if closed_z else "; not closed)")
    lines = [title, f"{'cash in':<15}{'':>6} {format_fen(int(r['cash_fen'])):>11}",
             line("loads credited", r["loads_credited"]),
             line("loads pending", r["loads_pending"]),
             line("owed (refund)", r["loads_owed"]),
             line("bills paid", r["bills"])]
    if r.get("transfer_loads", [0, 0])[0]:
        lines.append(line("transfers", r["transfer_loads"]))
    if r["unattributed_fen"]:
        lines.append(f"{'unattributed':<15}{'':>6} {format_fen(int(r['unattributed_fen'])):>11}")
    difference = format_fen(int(r["difference_fen"]), sign=True)
    lines.append("reconciled" if r["holds"] else f"DOES NOT RECONCILE: difference {difference}")
    return "\n".join(lines)


def _cmd_export(args: argparse.Namespace) -> int:
    query = f"?since={time.time() - args.days * 86400:.0f}" if args.days else ""
    result = _client(args).get(f"/v1/admin/export{query}", timeout=60)
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["table", "id", "session_id", "kind", "card_no", "amount_fen", "state",
                         "at"])
        for c in result["cash"]:
            writer.writerow(["cash", c["id"], c["session_id"], c["kind"], "", c["value_fen"],
                             "", c["at"]])
        for o in result["orders"]:
            writer.writerow(["order", o["id"], o["session_id"], o["kind"], o["card_no"],
                             o["amount_fen"], o["state"], o["created_at"]])
        return 0
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


def _cmd_config_check(args: argparse.Namespace) -> int:
    """The config file against its schema, then what kioskd needs from this machine
    (daemon.preflight; ``--simulate`` as kioskd's); every problem at once, with file
    and key."""
    # Imported here: the checks reach the central client and the socket server,
    # which the other commands do not need (kioskctl status starts in < 150 ms).
    from daemon.preflight import check_host

    unchecked: list[str] = []
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        problems = exc.problems
    else:
        host = check_host(cfg, simulate=args.simulate)
        problems, unchecked = host.problems, host.unchecked
    result = {"ok": not problems, "file": str(args.config),
              "problems": [{"file": p.file, "key": p.key, "message": p.message}
                           for p in problems],
              "unchecked": unchecked}
    _out(args, result, _render_check)
    return 0 if result["ok"] else 1


def _render_check(result: dict[str, Any]) -> str:
    lines = [f"{p['file']}: {p['key']}: {p['message']}" for p in result["problems"]]
    lines += [f"{result['file']}: not checked: {note}" for note in result["unchecked"]]
    if result["ok"]:
        lines.append(f"{result['file']}: ok")
    return "\n".join(lines)


def _cmd_metrics(args: argparse.Namespace) -> int:
    """The Prometheus text format (daemon/metrics.py); a kioskd that does not
    answer is written as citycard_kioskd_up 0, still exit 0."""
    text = metrics.render(metrics.collect(_client(args), now=time.time()), now=time.time())
    if args.textfile:
        metrics.write_atomically(args.textfile, text)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_screenshot(args: argparse.Namespace) -> int:
    """What the cardholder sees, as a PNG from the running UI (through kioskd)."""
    shot = _client(args).call("POST", "/v1/admin/screenshot", m.Screenshot,
                              m.ScreenshotTake(timeout_s=args.timeout), timeout=args.timeout + 10)
    png = base64.b64decode(shot.png_base64)
    # 0600: a screen can show a cardholder's (masked) card and balance
    tmp = args.out.with_name(f".{args.out.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(png)
        os.replace(tmp, args.out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        sys.stderr.write(f"kioskctl: cannot write {args.out}: {exc.strerror or exc}\n")
        return 2
    result = {"out": str(args.out), "width": shot.width, "height": shot.height,
              "bytes": len(png), "taken_at": shot.taken_at}
    _out(args, result, lambda r: f"wrote {r['out']}: {r['width']}×{r['height']} PNG, "
                                 f"{r['bytes']} bytes")
    return 0


def _cmd_version(args: argparse.Namespace) -> int:
    _out(args, {"version": package_version()}, lambda r: r["version"])
    return 0


def _common(suppress: bool) -> argparse.ArgumentParser:
    # The global options are accepted before and after the subcommand; the
    # subcommands' copies default to SUPPRESS so they never undo the former.
    def d(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=d(False),
                        help="print one JSON document")
    common.add_argument("--config", type=Path, default=d(DEFAULT_CONFIG))
    common.add_argument("--socket", type=Path, default=d(None),
                        help="admin socket (default: from the config)")
    return common


def _parser() -> argparse.ArgumentParser:
    """The command tree; each command's handler is its ``func`` default."""
    parser = argparse.ArgumentParser(prog="kioskctl", parents=[_common(False)],
                                     description="Operate a CityCard kiosk over admin.sock.")
    common = _common(True)
    sub = parser.add_subparsers(dest="cmd", required=True)

    def command(subs: Any, name: str, func: Callable[[argparse.Namespace], int],
                summary: str) -> argparse.ArgumentParser:
        cmd: argparse.ArgumentParser = subs.add_parser(name, parents=[common], help=summary)
        cmd.set_defaults(func=func)
        return cmd

    command(sub, "status", _cmd_status, "devices, central link, versions")
    command(sub, "version", _cmd_version, "kioskctl's version")
    card = sub.add_parser("card", parents=[common], help="card self-tests")
    card_sub = card.add_subparsers(dest="card_cmd", required=True)
    read = command(card_sub, "read", _cmd_card_read, "read and print a card")
    read.add_argument("--timeout", type=int, default=10, help="seconds to wait for a tap")
    sim = sub.add_parser("sim", parents=[common], help="simulation controls (kioskd --simulate)")
    sim_sub = sim.add_subparsers(dest="sim_cmd", required=True)
    tap = command(sim_sub, "tap", _cmd_sim_tap, "put a virtual card on the reader")
    tap.add_argument("card_no")
    command(sim_sub, "remove", _cmd_sim_remove, "take the card off the reader")
    command(sim_sub, "cards", _cmd_sim_cards, "list the virtual cards")
    insert = command(sim_sub, "insert", _cmd_sim_insert, "insert a note or coin (amount in yuan)")
    insert.add_argument("amount", type=parse_yuan, help="yuan, e.g. 50 or 0.5")
    insert.add_argument("--force", action="store_true",
                        help="pulse even while inhibited (an acceptor that ignores inhibit)")
    audit = command(sub, "audit", _cmd_audit,
                    "cash in = credited + pending, per session; exit 1 if not")
    audit.add_argument("--days", type=float, default=0,
                       help="only sessions of the last N days (default: all)")
    cashbox = command(sub, "cashbox", _cmd_cashbox,
                      "cashbox counters; 'collect' after emptying it")
    cashbox_sub = cashbox.add_subparsers(dest="cashbox_cmd")
    collect = command(cashbox_sub, "collect", _cmd_cashbox_collect,
                      "reset the short counters and print the slip")
    collect.add_argument("--operator", required=True, help="your name or staff id")
    exp = command(sub, "export", _cmd_export,
                  "the journal for a period, as JSON (or --csv: cash and orders)")
    exp.add_argument("--days", type=float, default=0, help="the last N days (default: all)")
    exp.add_argument("--csv", action="store_true")
    settlement = command(
        sub, "settlement", _cmd_settlement,
        "the day's figures so far (X report; nothing printed); --close: close the day "
        "(Z report: numbered once, printed, sent)")
    settlement.add_argument("--date", help="YYYY-MM-DD (default: today)")
    settlement.add_argument("--close", action="store_true",
                            help="close the day: print the numbered Z report and send it "
                                 "(a second close reprints the same Z)")
    receipts = command(sub, "receipts", _cmd_receipts, "journaled receipts")
    receipts.add_argument("--unprinted", action="store_true", help="only those not printed")
    reprint = command(sub, "reprint", _cmd_reprint, "print a receipt again")
    reprint.add_argument("id", help="the receipt's id, as kioskctl receipts lists it")
    maint = command(sub, "maintenance", _cmd_maintenance,
                    "maintenance mode: no new sessions; the screen says why")
    maint.add_argument("state", choices=["on", "off"])
    maint.add_argument("--message", help="what the screen shows (both languages, say)")
    printer = sub.add_parser("printer", parents=[common], help="receipt printer")
    printer_sub = printer.add_subparsers(dest="printer_cmd", required=True)
    command(printer_sub, "test", _cmd_printer, "print the test page")
    config = sub.add_parser("config", parents=[common], help="configuration")
    config_sub = config.add_subparsers(dest="config_cmd", required=True)
    check = command(config_sub, "check", _cmd_config_check, "validate the config file")
    check.add_argument("--simulate", action="store_true",
                       help="for kioskd --simulate: a plain http:// central URL is allowed")
    shot = command(sub, "screenshot", _cmd_screenshot,
                   "a PNG of what the cardholder sees, from the running UI")
    shot.add_argument("--out", type=Path, required=True, help="the PNG file to write")
    shot.add_argument("--timeout", type=int, default=10, choices=range(1, 121),
                      metavar="SECONDS", help="how long to wait for the UI (1-120, default 10)")
    metrics_cmd = command(sub, "metrics", _cmd_metrics,
                          "the Prometheus text format (node_exporter's textfile)")
    metrics_cmd.add_argument("--textfile", type=Path,
                             help="write it to this file atomically instead of stdout")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ConfigError as exc:
        sys.stderr.write(f"kioskctl: {exc}\n")
        return 2
    except DaemonUnavailable as exc:
        _out(args, {"error": "daemon_unavailable", "message": str(exc)},
             lambda r: f"kioskctl: {r['message']}")
        return 3
    except LocalApiError as exc:
        _out(args, {"error": exc.code, "message": exc.message, "details": exc.details},
             lambda r: f"kioskctl: {r['error']}: {r['message']}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
