"""Seed data: the demo cards (shared with the virtual card wallet), generated cards,
a realistic history, utility bills, notices and the demo kiosk.

History is Shenzhen-flavoured (city code 4403): bus rides at ¥2, metro at ¥2–¥7
by distance, card-type discounts (student 50 %, senior free on buses and 50 %
on the metro, ordinary 5 % on the metro), a ¥1 transfer discount for a second
ride within 90 minutes, shop purchases, loads when the purse runs low, bill
payments and a monthly points bonus. Each card's history ends at its balance
(the demo cards' ``balance_fen``). Everything is deterministic for a given
``--seed``. Rows are written with ``executemany`` in one transaction, so a
million transactions take seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from central import db
from central.db import Connection, transaction
from central.fares import TRANSFER_OFF_FEN, TRANSFER_WINDOW_S, ride_discount
from central.keys import DEFAULT_PIN_KDF, PinKdf, hash_pin
from central.routes.common import CHINA
from protocol.cardno import T_UNION_AID

__all__ = ["DEMO_CARDS_FILE", "DEMO_PIN", "SeedCard", "generated_cards", "load_demo_cards",
           "seed", "transactions_for"]

logger = logging.getLogger(__name__)

DEMO_CARDS_FILE = Path(__file__).resolve().parent.parent / "config" / "sim" / "demo-cards.toml"
DEMO_PIN = "147258"
"""The payment password of every demo card except those listed in :data:`NO_PIN_CARDS`."""
NO_PIN_CARDS = frozenset({"31044403000000100033"})

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
          "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "晓东", "思远", "子涵"]
_BUS_LINES = ["1路", "3路", "10路", "26路", "M375", "B606", "高峰专线8号", "游2路", "E11", "81路"]
_METRO_LINES = ["1号线", "2号线", "3号线", "4号线", "5号线", "7号线", "9号线", "11号线"]
_STATIONS = ["罗湖", "国贸", "老街", "大剧院", "科学馆", "华强路", "岗厦", "会展中心",
             "购物公园", "车公庙", "世界之窗", "深大", "高新园", "后海", "福田口岸", "少年宫",
             "市民中心", "布吉", "西丽", "前海湾", "宝安中心", "南山", "蛇口港", "深圳北站"]
_MERCHANTS = ["7-Eleven", "全家便利店", "美宜佳", "肯德基", "麦当劳", "百果园", "天虹超市",
              "喜茶", "深圳书城"]
_CARD_TYPES = ["ordinary"] * 7 + ["student", "student", "senior"]
# utility → its name in English and Chinese, as the bills carry them (payee, payee_zh);
# a bill payment in a card's history names the payee as its bill does.
_PAYEES = {"water": ("Shenzhen Water", "深圳市水务集团"),
           "electricity": ("China Southern Power Grid", "南方电网深圳供电局"),
           "gas": ("Shenzhen Gas", "深圳燃气集团")}
_PAYEES_ZH = [zh for _, zh in _PAYEES.values()]


@dataclass(frozen=True)
class SeedCard:
    """One card as seeded."""

    card_no: str
    aid: str
    card_type: str
    holder_name: str
    balance_fen: int
    valid_from: str
    valid_until: str
    status: str
    points: int
    blacklist_reason: str | None = None  # overdraft | fraud | other (blacklisted cards)
    owed_fen: int = 0  # an overdraft's debt


def load_demo_cards(path: Path = DEMO_CARDS_FILE) -> list[SeedCard]:
    with path.open("rb") as fh:
        entries = tomllib.load(fh)["card"]
    return [SeedCard(e["card_no"], e["aid"], e["card_type"], e["holder_name"],
                     int(e["balance_fen"]), str(e["valid_from"]), str(e["valid_until"]),
                     e["status"], int(e.get("points", 0)), e.get("blacklist_reason"),
                     int(e.get("owed_fen", 0))) for e in entries]


def generated_cards(count: int, rng: random.Random) -> list[SeedCard]:
    cards = []
    for i in range(count):
        start = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2000))
        status = rng.choices(["active", "lost", "blacklisted"], [97, 2, 1])[0]
        aid = rng.choice([T_UNION_AID, "A00000000386980701"])
        cards.append(SeedCard(
            # a T-Union serial is a pad digit and the 19 printed digits
            card_no=(f"031044403{50000000000 + i:011d}" if aid == T_UNION_AID
                     else f"31044403{500000000000 + i:012d}"),
            aid=aid,
            card_type=rng.choice(_CARD_TYPES),
            holder_name=rng.choice(_SURNAMES) + rng.choice(_GIVEN),
            balance_fen=rng.randrange(0, 30000, 10),
            valid_from=start.isoformat(),
            valid_until=start.replace(year=start.year + 10).isoformat(),
            status=status, points=rng.randrange(0, 3000)))
    return cards


_Row = tuple[str, int, str, int, int | None, int | None, int | None, int | None, str | None,
             str | None, str | None, str | None, int, str | None, str | None]


def _ride(card: SeedCard, when: int, last_ride: int, rng: random.Random,
          terminal: str) -> tuple[int, tuple[object, ...]]:
    bus = rng.random() < 0.55
    fare = 200 if bus else rng.choice([200, 300, 300, 400, 400, 500, 600, 700])
    discount = ride_discount(card.card_type, fare, bus)
    transfer = min(TRANSFER_OFF_FEN, fare - discount) \
        if when - last_ride <= TRANSFER_WINDOW_S else 0
    paid = fare - discount - transfer
    extra = (fare, discount, transfer, "bus" if bus else "metro",
             rng.choice(_BUS_LINES if bus else _METRO_LINES),
             None if bus else rng.choice(_STATIONS), None, paid // 100, terminal, None)
    return paid, extra


def transactions_for(card: SeedCard, count: int, now: int, rng: random.Random) -> list[_Row]:
    """``count`` transactions ending at ``now`` whose last balance is the card's balance."""
    if count <= 0:
        return []
    events: list[tuple[int, str, int, tuple[object, ...]]] = []
    gaps = [rng.randrange(900, 5100) if rng.random() < 0.4 else rng.randrange(10800, 72000)
            for _ in range(count)]
    when = now - sum(gaps) - rng.randrange(600, 86400)
    balance = start_balance = rng.randrange(2000, 20000, 100)
    last_ride, last_bonus_month = -10**9, ""
    terminal = f"4403{rng.randrange(10**8):08d}"
    for gap in gaps:
        if len(events) >= count - 1:
            break
        when += gap
        month = dt.datetime.fromtimestamp(when, CHINA).strftime("%Y%m")
        roll = rng.random()
        if month != last_bonus_month and roll < 0.5:
            last_bonus_month = month
            events.append((when, "points", 0, (None, None, None, None, None, None, None, 50,
                                               None, None)))
            continue
        if roll < 0.78:
            paid, extra = _ride(card, when, last_ride, rng, terminal)
            last_ride = when
            kind = "ride"
        elif roll < 0.90:
            paid = rng.randrange(300, 4000, 10)
            extra = (None, None, None, None, None, None, rng.choice(_MERCHANTS), 0, terminal, None)
            kind = "purchase"
        else:
            paid = rng.choice([3000, 5000, 8000, 12000])
            extra = (None, None, None, None, None, None, rng.choice(_PAYEES_ZH), 0,
                     terminal, None)
            kind = "bill_payment"
        if balance < paid:
            # Enough for what is paid next: no seeded card has an overdraft limit, so
            # no balance may go below zero. (The draw stays one rng call, so every
            # other seeded value is as before.)
            wanted = rng.choice([5000, 10000, 20000])
            top_up = min(max(wanted, -(-(paid - balance) // 5000) * 5000), 100_000 - balance)
            balance += top_up
            events.append((when - 60, "load", top_up, (None,) * 7 + (0, "440300000001", None)))
        balance -= paid
        events.append((when, kind, -paid, extra))
    del events[count - 1:]
    # The last row brings the history to the card's balance exactly.
    delta = card.balance_fen - (start_balance + sum(e[2] for e in events))
    if delta > 0:
        events.append((now - 300, "load", delta, (None,) * 7 + (0, "440300000001", None)))
    elif delta < 0:
        events.append((now - 300, "purchase", delta,
                       (None,) * 6 + (rng.choice(_MERCHANTS), 0, terminal, None)))
    else:
        events.append((now - 300, "points", 0, (None,) * 7 + (10, None, None)))
    events.sort(key=lambda e: e[0])
    rows: list[_Row] = []
    running = start_balance
    for occurred, kind, amount, extra in events:
        running += amount
        rows.append((card.card_no, occurred, kind, amount, running, *extra))  # type: ignore[arg-type]
    return rows


def _bills(now: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    """Bills for accounts 100001.. (water), 200001.. (electricity), 300001.. (gas)."""
    today = dt.datetime.fromtimestamp(now, CHINA).date()
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    for u_index, (utility, (payee, payee_zh)) in enumerate(_PAYEES.items(), start=1):
        for i in range(1, 21):
            account = f"{u_index}{i:05d}"
            holder = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
            # the demo accounts: x00001 unpaid below the PIN threshold, x00002 above it,
            # x00003 already paid, x00004 unpaid (¥37.20 for water); the rest random.
            due = {1: 4560, 2: 23680, 3: 8800, 4: 3720}.get(i, rng.randrange(1500, 40000, 10))
            paid = i == 3 or (i > 3 and rng.random() < 0.3)
            paid = paid and i != 4  # (the draw above keeps the random sequence as it was)
            yield (f"B{utility[0].upper()}{account}{last_month:%Y%m}", utility, account, payee,
                   payee_zh, holder, f"{last_month:%Y-%m}", rng.randrange(1500, 30000, 10),
                   (last_month + dt.timedelta(days=45)).isoformat(), "paid", now - 20 * 86400,
                   None)
            yield (f"B{utility[0].upper()}{account}{this_month:%Y%m}", utility, account, payee,
                   payee_zh, holder, f"{this_month:%Y-%m}", due,
                   (this_month + dt.timedelta(days=45)).isoformat(),
                   "paid" if paid else "unpaid", now - 86400 if paid else None, None)


# The seeded maintenance window: at 01:00 China time, as a city's usually is, when
# that is between these two bounds from the seed; otherwise on the hour after the
# lower one. Not sooner: a test stack or a demo seeded at 00:55 would find top-up
# and bills stopped minutes in. Not later: kioskd announces a window a day ahead
# (daemon.notices.ANNOUNCE_AHEAD_S), and the demo and the tests show it.
WINDOW_AFTER_S = (3 * 3600, 23 * 3600)
WINDOW_LENGTH_S = 2 * 3600


def _window_start(now: int) -> int:
    """When the seeded maintenance window starts (:data:`WINDOW_AFTER_S`)."""
    soonest, latest = now + WINDOW_AFTER_S[0], now + WINDOW_AFTER_S[1]
    one_am = dt.datetime.fromtimestamp(now, CHINA).replace(hour=1, minute=0, second=0,
                                                           microsecond=0)
    while one_am.timestamp() < soonest:
        one_am += dt.timedelta(days=1)
    if one_am.timestamp() <= latest:
        return int(one_am.timestamp())
    return (soonest // 3600 + 1) * 3600


def _notices(now: int) -> list[tuple[object, ...]]:
    start = _window_start(now)
    hours = "-".join(f"{dt.datetime.fromtimestamp(t, CHINA):%H:%M}"
                     for t in (start, start + WINDOW_LENGTH_S))
    return [
        ("announcement", "Top up with cash at any kiosk", "自助终端支持现金充值",
         "Notes and coins are accepted; a receipt is printed for every top-up.",
         "支持纸币和硬币，每笔充值均打印凭条。", now - 7 * 86400, now + 60 * 86400),
        ("announcement", "Hotline 12345", "服务热线 12345",
         "Lost card, forgotten password or suspected fraud: call 12345 any time.",
         "挂失、忘记密码或疑似欺诈，请随时拨打 12345。", now - 30 * 86400, now + 365 * 86400),
        ("maintenance", f"Maintenance {hours}", f"{hours} 系统维护",
         "Top-ups and bill payments are unavailable during maintenance.",
         "维护期间暂停充值和缴费业务。", start, start + WINDOW_LENGTH_S),
        ("announcement", "Old notice", "过期通知", "Expired.", "已过期。",
         now - 90 * 86400, now - 60 * 86400),
    ]


_CARD_COLUMNS = ("card_no", "aid", "card_type", "holder_name", "id_last6", "valid_from",
                 "valid_until", "status", "points", "pin_hash", "pin_salt", "pin_kdf", "lost_at",
                 "blacklist_reason", "owed_fen")
_TX_COLUMNS = ("card_no", "occurred_at", "kind", "amount_fen", "balance_after_fen", "fare_fen",
               "ride_discount_fen", "transfer_discount_fen", "mode", "line", "station",
               "merchant", "points_delta", "terminal_id", "order_id")
_BILL_COLUMNS = ("bill_id", "utility", "account_no", "payee", "payee_zh", "holder_name",
                 "period", "amount_due_fen", "due_date", "status", "paid_at", "paid_order_id")
_NOTICE_COLUMNS = ("kind", "title", "title_zh", "body", "body_zh", "starts_at", "ends_at")


def _insert(table: str, columns: tuple[str, ...]) -> str:
    """``INSERT INTO table (a, b) VALUES (:a, :b)``."""
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + c for c in columns)})")


def seed(conn: Connection, *, cards: int = 0, transactions: int = 500,
         demo_cards: Path = DEMO_CARDS_FILE, now: int | None = None,
         rng_seed: int = 4403, pin_kdf: PinKdf = DEFAULT_PIN_KDF,
         pepper: bytes | None = None) -> dict[str, int]:
    """Fill an empty, migrated database; return counts of what was written.

    Every card with a password has the demo PIN: one salt and one verifier for the run
    (a memory-hard verifier per card would cost a thousand cards minutes, and the PINs
    are equal anyway). Without ``pepper`` the verifiers are unpeppered; a server with a
    pepper upgrades each one when its PIN is next proven right."""
    rng = random.Random(rng_seed)
    now = int(time.time()) if now is None else now
    all_cards = load_demo_cards(demo_cards) + generated_cards(cards, rng)
    started = time.monotonic()
    demo_salt = secrets.token_bytes(16)
    demo_verifier, demo_kdf = hash_pin(DEMO_PIN, demo_salt, pin_kdf, pepper)
    with transaction(conn):
        if db.scalar(conn, "SELECT COUNT(*) FROM cards"):
            raise ValueError("the database already holds cards; seed an empty database")
        card_rows = []
        for card in all_cards:
            salt = demo_salt if card.card_no not in NO_PIN_CARDS else None
            card_rows.append(dict(zip(_CARD_COLUMNS, (
                card.card_no, card.aid, card.card_type, card.holder_name, card.card_no[-6:],
                card.valid_from, card.valid_until, card.status, card.points,
                demo_verifier if salt else None, salt, demo_kdf if salt else None,
                now - 86400 if card.status == "lost" else None,
                card.blacklist_reason or ("other" if card.status == "blacklisted" else None),
                card.owed_fen), strict=True)))
        db.run_many(conn, _insert("cards", _CARD_COLUMNS), card_rows)
        per_card, extra = divmod(transactions, len(all_cards))
        written = 0
        for index, card in enumerate(all_cards):
            rows = transactions_for(card, per_card + (1 if index < extra else 0), now, rng)
            db.run_many(conn, _insert("transactions", _TX_COLUMNS),
                        [dict(zip(_TX_COLUMNS, row, strict=True)) for row in rows])
            written += len(rows)
        bills = list(_bills(now, rng))
        db.run_many(conn, _insert("bills", _BILL_COLUMNS),
                    [dict(zip(_BILL_COLUMNS, bill, strict=True)) for bill in bills])
        db.run_many(conn, _insert("notices", _NOTICE_COLUMNS),
                    [dict(zip(_NOTICE_COLUMNS, n, strict=True)) for n in _notices(now)])
    logger.info("seeded %d cards, %d transactions in %.1f s", len(all_cards), written,
                time.monotonic() - started)
    return {"cards": len(all_cards), "transactions": written, "bills": len(bills)}
