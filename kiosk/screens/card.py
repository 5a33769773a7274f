"""The attract screen, reading, the card's home with its service tiles, its
history and statements, and points."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.api import LocalApiError
from kiosk.i18n import CARD_STATUS, CARD_TYPES, RECORD_KINDS, format_yuan, label
from kiosk.screens.base import (
    Ctx,
    KioskScreen,
    act,
    amount,
    body,
    buttons,
    notice_text,
    pairs,
    panel,
    small,
    spacer,
    tiles,
    title,
)
from kiosk.screens.lifecycle import transfer_line
from kiosk.widgets import AMBER, GREEN, GREY, RED, Panel, Txt

__all__ = [
    "POINT_STEP",
    "AttractScreen",
    "HistoryScreen",
    "HomeScreen",
    "PointsDoneScreen",
    "PointsScreen",
    "ReadingScreen",
    "StatementPrintedScreen",
    "StatementScreen",
]

# Points are redeemed in steps of the central side's rate (100 points = ¥1 in the
# reference central). The snapshot does not carry the rate yet; a wrong step is
# refused by the centre with its message, shown on screen.
POINT_STEP = 100


def announcements(ctx: Ctx, services_only: bool = False) -> list[Panel]:
    """The central notices on now (维护公告), in the screen's language; with
    ``services_only`` those that stop a service (a maintenance window, also before
    it starts). The daemon drops a notice when it ends."""
    notices = ctx.snap.notices if ctx.snap is not None else []
    card = ctx.snap.card if ctx.snap is not None else None
    # what this card can do here: every service, or another city's card's few
    can = None if card is None or card.services is None else set(card.services)
    shown = [n for n in notices if not services_only
             or (n.touches and (can is None or can & set(n.touches)))][:1 if services_only else 3]
    zh = ctx.lang == "zh"
    out = []
    for n in shown:
        words = (n.title_zh, n.body_zh) if zh else (n.title, n.body)
        when = "" if n.active else ctx.t("notice_coming", start=_clock_text(n.starts_at))
        head = body(words[0] + (f"  {when}" if when else ""), role="small",
                    tone=RED if n.touches else None)
        # home (services_only) has room for one line a notice; the attract screen more
        box = panel(head, *([] if services_only else [small(words[1])]),
                    bg=AMBER if n.touches else None, size_hint_y=None,
                    padding=(dp(12), dp(4)), spacing=dp(2))
        box.bind(minimum_height=box.setter("height"))
        out.append(box)
    return out


def _clock_text(iso: str) -> str:
    """``2026-12-05T01:00:00+08:00`` → ``12-05 01:00`` (the notice's own time zone)."""
    return iso[5:16].replace("T", " ") if len(iso) >= 16 else iso


class AttractScreen(KioskScreen):
    screen_name = "attract"
    reads_snapshot = False  # only the notices of the snapshot (view_key)

    def view_key(self, ctx: Ctx) -> object:
        notices = tuple(ctx.snap.notices) if ctx.snap is not None else ()
        return super().view_key(ctx), notices

    def build(self, ctx: Ctx) -> None:
        other = "en" if ctx.lang == "zh" else "zh"
        from kiosk.i18n import t
        self.add(spacer(),
                 title(ctx.t("tap_card"), role="hero"),
                 body(t("tap_card", other), tone=GREY),
                 body(ctx.t("tap_card_hint")),
                 *announcements(ctx),
                 spacer())
        app = ctx.app
        scale = ctx.t("normal_text") if getattr(app, "text_scale", 1.0) > 1.0 \
            else ctx.t("large_text")
        self.add(buttons(act(scale, app.toggle_text_scale, "large_text", "secondary"),
                         act(ctx.t("tile_help"), lambda: app.go("help"), "help", "secondary"),
                         act(ctx.t("tile_loss"), lambda: app.go("loss_report"), "loss_report",
                             "secondary"),
                         act(ctx.t("tile_feedback"), lambda: app.go("feedback"), "feedback",
                             "secondary")))


class ReadingScreen(KioskScreen):
    screen_name = "reading"
    reads_snapshot = False

    def build(self, ctx: Ctx) -> None:
        self.add(spacer(), title(ctx.t("reading"), role="hero"), spacer())


def central_note(ctx: Ctx) -> str:
    card = ctx.snap.card if ctx.snap else None
    if card is None:
        return ""
    if ctx.snap is not None and ctx.snap.clock == "skewed" and card.central != "unknown_card":
        return ctx.t("clock_skewed")  # why no money moves, rather than "no connection"
    return {"offline": ctx.t("central_offline"), "pending": ctx.t("central_pending"),
            "unknown_card": ctx.t("central_unknown_card")}.get(card.central, "")


class HomeScreen(KioskScreen):
    """After a tap: what the card holds, and a tile for every service."""

    screen_name = "home"

    def build(self, ctx: Ctx) -> None:
        assert ctx.snap is not None and ctx.snap.card is not None
        card, app = ctx.snap.card, ctx.app
        city = card.issuer_city
        # A card of another city: its city and what it may do here, not "unknown card".
        note = other_city_note(ctx) if city else central_note(ctx)
        if note:
            self.add(panel(body(note, tone=RED), bg=AMBER, size_hint_y=None,
                           height=dp(44), padding=(dp(12), dp(4))))
        self.add(*announcements(ctx, services_only=True))
        kind = [(ctx.t("card_type"), label(CARD_TYPES, card.card_type, ctx.lang))]
        # The date it ends: the day it began is no use at the kiosk, and the range took
        # two lines of the panel (docs/ui.md, the home screen).
        details = [(ctx.t("valid_until"), card.valid_until)]
        # An active card needs no status line (a refused one has its own screen), nor a
        # card the centre does not know (the banner says why): room for the discount.
        if card.status not in ("active", "unknown"):
            details.append((ctx.t("status"), label(CARD_STATUS, card.status, ctx.lang)))
        if card.points is not None:
            details.append((ctx.t("points"), str(card.points)))
        if card.overdraft_fen:
            kind.insert(0, (ctx.t("overdraft"), f"-{format_yuan(card.overdraft_fen)}"))
        # The card's panel runs from the banner to the bottom of the page, 40 % of the
        # width (the tiles' 60 % keeps "Payment password" on one line in large text at
        # 800x480); its keys a third of it. The type's ride discount runs across the
        # panel under the type, its key in the line: beside it, it took three lines in
        # English. With a bottom bar (below), under a central banner, at 800x480 in
        # large text, a senior card's panel has a few pixels to spare (the demo's walk
        # lays it out: home_senior_transfer_large_800x480), so its padding and spacing
        # are tight.
        left = panel(small(ctx.t("balance")), amount(format_yuan(card.balance_fen)),
                     amount(card.card_no_masked, role="body"),
                     pairs(kind, key_width=0.6, role="small"),
                     *([body(ctx.t("card_discount") + ("：" if ctx.lang == "zh" else ": ")
                             + discount_text(ctx, card.discount), role="small")]
                       if card.discount else []),
                     pairs(details, key_width=0.6, role="small"), spacer(),
                     size_hint_x=0.4, padding=(dp(12), dp(6)), spacing=dp(2))
        # What waits for this card (the old card's balance, a pending load) goes in the
        # bar at the bottom, across the page: its text needs the width.
        offer = transfer_line(ctx, card.transfer) if card.transfer else []
        if card.pending_load_fen:  # a transfer left unfinished is one too: finished here
            offer += [body(f"{ctx.t('pending_load')} {format_yuan(card.pending_load_fen)}",
                           tone=GREEN),
                      act(ctx.t("complete_pending"),
                          lambda: app.send("POST", "/v1/pending-load/complete"),
                          "complete_pending")]
        every = [
            ("topup", ctx.t("tile_topup"), lambda: app.send("POST", "/v1/topup/start")),
            ("bill", ctx.t("tile_bill"), lambda: app.go("bill_utility")),
            ("history", ctx.t("tile_history"), lambda: app.go("history")),
            ("points", ctx.t("tile_points"), lambda: app.go("points")),
            ("pin", ctx.t("tile_pin"), lambda: app.go("pin_change")),
            ("loss_report", ctx.t("tile_loss"), lambda: app.go("loss_report")),
            ("feedback", ctx.t("tile_feedback"), lambda: app.go("feedback")),
            ("help", ctx.t("tile_help"), lambda: app.go("help")),
        ]
        if card.services is not None:  # another city's card: what config opens to it
            open_ = {*card.services, "feedback", "help"}
            every = [tile for tile in every if tile[0] in open_]
        done = act(ctx.t("done"), lambda: app.send("POST", "/v1/session/end"), "done",
                   "secondary")
        row = BoxLayout(orientation="horizontal", spacing=dp(14))
        row.add_widget(left)
        if offer:  # the tiles beside the card, the offer's bar under both
            row.add_widget(tiles(every, cols=2, size_hint_x=0.6))
            self.add(row, _bar(offer, done))
        else:  # "Done" under the tiles: the card's panel has the page's full height
            right = BoxLayout(orientation="vertical", spacing=dp(8), size_hint_x=0.6)
            right.add_widget(tiles(every, cols=2))
            right.add_widget(buttons(done))
            row.add_widget(right)
            self.add(row)


def _bar(offer: list[Any], done: Any) -> BoxLayout:
    """The bottom row with what waits for the card: its text takes the free width."""
    bar = BoxLayout(orientation="horizontal", size_hint_y=None, height=dp(60), spacing=dp(12))
    if not any(isinstance(w, Txt) for w in offer):
        bar.add_widget(Widget())
    for widget in offer:
        if isinstance(widget, Txt):
            widget.pos_hint = {"center_y": 0.5}
        bar.add_widget(widget)
    bar.add_widget(done)
    return bar


def other_city_note(ctx: Ctx) -> str:
    """``北京发行的卡：本机可查询余额、交易记录`` — the city and the services open."""
    card = ctx.snap.card if ctx.snap else None
    if card is None or card.issuer_city is None:
        return ""
    city = card.issuer_city["name_zh" if ctx.lang == "zh" else "name"]
    names = [ctx.t(f"service_{s}") for s in card.services or []]
    return ctx.t("other_city_card", city=city, services=ctx.t("and").join(names))


class HistoryScreen(KioskScreen):
    """The card's log and the centre's history, merged by the daemon; paged."""

    screen_name = "history"
    resets_input = True
    PAGE = 5

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pages: list[list[dict[str, Any]]] = []
        self.index = 0
        self.cursor: str | None = None
        self.loading = False
        self.notice = ""

    def arrive(self, ctx: Ctx) -> None:
        super().arrive(ctx)
        self.pages, self.index, self.cursor, self.notice = [], 0, None, ""
        self._fetch(ctx)

    def _fetch(self, ctx: Ctx) -> None:
        self.loading = True
        path = f"/v1/history?limit={self.PAGE}"
        if self.cursor:
            path += f"&cursor={self.cursor}"
        ctx.app.send("GET", path, on_ok=self._got, on_refused=self._refused)

    def _got(self, reply: Any) -> None:
        self.loading = False
        self.pages.append(list(reply.get("items", [])))
        self.index = len(self.pages) - 1
        self.cursor = reply.get("next_cursor")
        notice = reply.get("notice")
        if notice and self.ctx is not None:
            self.notice = notice["message_zh" if self.ctx.lang == "zh" else "message"]
        self.redraw()

    def _refused(self, _: LocalApiError) -> bool:
        self.loading = False
        return False  # the app shows the daemon's message

    def _more(self) -> None:
        if self.index + 1 < len(self.pages):
            self.index += 1
            self.redraw()
        elif self.cursor and self.ctx is not None and not self.loading:
            self._fetch(self.ctx)

    def _previous(self) -> None:
        if self.index > 0:
            self.index -= 1
            self.redraw()

    def build(self, ctx: Ctx) -> None:
        self.add(title(ctx.t("history_title")))
        if self.notice:
            self.add(body(self.notice, tone=RED))
        items = self.pages[self.index] if self.pages else []
        if self.loading and not items:
            self.add(body(ctx.t("history_loading"), tone=GREY))
        elif not items:
            self.add(body(ctx.t("history_empty"), tone=GREY))
        for item in items:
            self.add(_history_line(ctx, item))
        self.add(spacer())
        app = ctx.app
        more_left = self.index + 1 < len(self.pages) or bool(self.cursor)
        acts = [act(ctx.t("back"), lambda: app.go(None), "back", "secondary")]
        if self.index > 0:
            acts.append(act("◀", self._previous, "previous", "secondary"))
        if more_left:
            acts.append(act(ctx.t("more"), self._more, "more", "secondary"))
        elif self.pages:
            self.add(small(ctx.t("history_end")))
        acts.append(act(ctx.t("print_statement"), lambda: app.go("statement"), "statement"))
        self.add(buttons(*acts))


def _dispute(ctx: Ctx, transaction_id: int) -> None:
    def done(reply: Any) -> None:
        ctx.app.screen("dispute_done").hand(result=reply)
        ctx.app.go("dispute_done")
    ctx.app.send("POST", "/v1/dispute", {"transaction_id": transaction_id}, on_ok=done)


def _history_line(ctx: Ctx, item: dict[str, Any]) -> BoxLayout:
    details = item.get("details") or {}
    place = " · ".join(str(details[k]) for k in ("line", "station") if details.get(k))
    where = place or details.get("merchant") or details.get("description") or \
        details.get("terminal_id") or ""
    kind = label(RECORD_KINDS, str(item.get("kind")), ctx.lang)
    raw_tx = details.get("transaction_id")
    # The centre's transaction: "I did not make this".
    tx: int | None = raw_tx if isinstance(raw_tx, int) else None
    line = BoxLayout(orientation="horizontal", size_hint_y=None, height=dp(44), spacing=dp(8))
    when = str(item.get("when", "")).replace("T", " ")[:16]
    line.add_widget(Txt(text=f"{when}\n{kind}", role="small", size_hint_x=0.24))
    line.add_widget(Txt(text=f"{where}\n{ride_terms(ctx, details)}".strip(), role="small",
                        size_hint_x=0.52))
    line.add_widget(Txt(text=format_yuan(int(item.get("amount_fen", 0)), sign=True),
                        role="body", halign="right", size_hint_x=0.24))
    if tx is not None:
        button = act(ctx.t("dispute_go"), partial(_dispute, ctx, tx), f"dispute_{tx}",
                     "secondary")
        button.height = dp(42)  # within the line: a small target beside the amount
        line.add_widget(button)
    return line


def ride_terms(ctx: Ctx, details: dict[str, Any]) -> str:
    """A ride's fare, its card-type and transfer discounts and the points it earned (as
    the central side gives them); for anything else the balance after it."""
    def fen(name: str) -> int:
        return int(details.get(name) or 0)

    terms = []
    if details.get("fare_fen") is not None:
        terms.append(f"{ctx.t('fare')} {format_yuan(fen('fare_fen'))}")
    if fen("ride_discount_fen"):
        terms.append(f"{ctx.t('ride_discount')} {format_yuan(fen('ride_discount_fen'))}")
    if fen("transfer_discount_fen"):
        terms.append(f"{ctx.t('transfer_discount')} "
                     f"{format_yuan(fen('transfer_discount_fen'))}")
    if fen("points_delta") > 0:
        terms.append(ctx.t("points_earned", points=fen("points_delta")))
    if not terms and details.get("balance_after_fen") is not None:
        terms.append(f"{ctx.t('new_balance')} {format_yuan(fen('balance_after_fen'))}")
    return "  ".join(terms)


def discount_text(ctx: Ctx, discount: dict[str, int] | None) -> str:
    """The card type's ride discount in words (from the central side's figures)."""
    if not discount:
        return ""
    parts = []
    for mode in ("bus", "metro"):
        percent = int(discount.get(f"{mode}_percent", 0))
        if percent >= 100:
            parts.append(ctx.t(f"{mode}_free"))
        elif percent > 0:
            off = f"{(100 - percent) / 10:g}" if ctx.lang == "zh" else str(percent)
            parts.append(ctx.t(f"{mode}_off", off=off))
    if discount.get("transfer_off_fen"):
        parts.append(ctx.t("transfer_off", off=format_yuan(int(discount["transfer_off_fen"]))))
    return " · ".join(parts)


# What kioskd's POST /v1/statement accepts (daemon/account.py PERIODS; kiosk imports no daemon).
PERIODS = ("this_month", "last_month", "last_3_months", "last_30_days")


class StatementScreen(KioskScreen):
    """The period picker; a card with a payment password is asked for it."""

    screen_name = "statement"

    def build(self, ctx: Ctx) -> None:
        self.add(title(ctx.t("statement_title")))
        self.add(tiles([(p, ctx.t(f"period_{p}"), partial(self._print, ctx, p))
                        for p in PERIODS], cols=2))
        self.add(buttons(act(ctx.t("back"), lambda: ctx.app.go("history"), "back",
                             "secondary")))

    def _print(self, ctx: Ctx, period: str, pin: str | None = None) -> None:
        body_: dict[str, Any] = {"period": period}
        if pin is not None:
            body_["pin"] = pin
        app = ctx.app

        def printed(reply: Any) -> None:
            app.screen("statement_printed").hand(result=reply)
            app.go("statement_printed")

        def refused(err: LocalApiError) -> bool:
            if err.code == "pin_required":
                app.pin_for(ctx.t("print_statement"),
                            lambda p: self._print(ctx, period, p))
                return True
            return False
        app.send("POST", "/v1/statement", body_, on_ok=printed, on_refused=refused)


class StatementPrintedScreen(KioskScreen):
    screen_name = "statement_printed"
    result: dict[str, Any] | None = None

    def build(self, ctx: Ctx) -> None:
        r = self.result or {}
        self.add(spacer(), title(ctx.t("statement_printed"), tone=GREEN, role="hero"))
        if r:
            self.add(body(ctx.t("statement_summary", count=r.get("count", 0),
                                opening=format_yuan(int(r.get("opening_balance_fen", 0))),
                                closing=format_yuan(int(r.get("closing_balance_fen", 0))))),
                     small(f"{ctx.t('reference')} {r.get('reference', '')}"))
        self.add(body(ctx.t("receipt_printed")), spacer(),
                 buttons(act(ctx.t("back"), lambda: ctx.app.go(None), "back", "secondary")))


class PointsScreen(KioskScreen):
    """Points, the rate, and an amount in the allowed steps."""

    screen_name = "points"
    resets_input = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chosen = 0

    def arrive(self, ctx: Ctx) -> None:
        super().arrive(ctx)
        self.chosen = 0

    def build(self, ctx: Ctx) -> None:
        card = ctx.snap.card if ctx.snap else None
        have = (card.points or 0) if card else 0
        self.add(title(ctx.t("points_title")),
                 body(ctx.t("points_have", points=have)),
                 small(ctx.t("points_rate", step=POINT_STEP, value=format_yuan(100))))
        most = have - have % POINT_STEP
        choices = sorted({c for c in (POINT_STEP, 5 * POINT_STEP, 10 * POINT_STEP,
                                      20 * POINT_STEP, most) if 0 < c <= most})
        if not choices:
            self.add(body(ctx.t("points_none", step=POINT_STEP), tone=RED), spacer())
        else:
            self.add(small(ctx.t("points_pick")))
            self.add(tiles([(f"points_{c}", str(c), partial(self._choose, c))
                            for c in choices], cols=len(choices), kind="secondary"))
        if self.chosen:
            self.add(body(ctx.t("points_chosen", points=self.chosen,
                                value=format_yuan(self.chosen // POINT_STEP * 100))))
        acts = [act(ctx.t("back"), lambda: ctx.app.go(None), "back", "secondary")]
        if self.chosen:
            acts.append(act(ctx.t("redeem"), lambda: self._redeem(ctx), "redeem"))
        self.add(buttons(*acts))

    def _choose(self, points: int) -> None:
        self.chosen = points
        self.message = ""
        self.redraw()

    def _redeem(self, ctx: Ctx) -> None:
        ctx.app.go("points", origin="points")
        ctx.app.send("POST", "/v1/points/redeem", {"points": self.chosen})


class PointsDoneScreen(KioskScreen):
    screen_name = "points_done"

    def build(self, ctx: Ctx) -> None:
        session = ctx.snap.session if ctx.snap else None
        self.add(spacer(), title(ctx.t("points_done"), tone=GREEN, role="hero"))
        if session is not None:
            self.add(body(format_yuan(session.amount_fen, sign=True)))
            if session.balance_after_fen is not None:
                self.add(amount(f"{ctx.t('new_balance')} "
                                f"{format_yuan(session.balance_after_fen)}"))
        self.add(body(notice_text(ctx.snap, ctx.lang)), spacer(),
                 buttons(act(ctx.t("done"), lambda: ctx.app.send("POST", "/v1/session/end"),
                             "done", "secondary")))
