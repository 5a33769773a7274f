"""Cash top-up and bill payment: the daemon's session steps, and the UI's own
steps before a bill is found (the utility, the account keypad) and the PIN pad."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from kiosk.api import LocalApiError, SessionView
from kiosk.i18n import format_yuan
from kiosk.keypad import Entry
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
from kiosk.widgets import AMBER, GREEN, GREY, RED, Keypad, Txt

__all__ = ["BillAccountScreen", "BillDoneScreen", "BillFailedScreen", "BillFoundScreen",
           "BillPayingScreen", "BillUtilityScreen", "KeypadScreen", "PinEntryScreen",
           "TopupDoneScreen", "TopupInsertingScreen", "TopupLimitsScreen",
           "TopupLoadingScreen", "TopupPendingScreen", "TopupPutCardBackScreen",
           "TopupRefusedScreen"]


def _session(ctx: Ctx) -> SessionView | None:
    return ctx.snap.session if ctx.snap is not None else None


def _end(ctx: Ctx) -> Callable[[], None]:
    return lambda: ctx.app.send("POST", "/v1/session/end")


def _receipt_lines(ctx: Ctx, session: SessionView) -> list[Txt]:
    lines = []
    if session.receipt == "printed":
        lines.append(body(ctx.t("receipt_printed")))
    elif session.receipt == "not_printed":
        lines.append(body(ctx.t("receipt_not_printed", ref=session.reference or ""), tone=RED))
    if session.reference:
        lines.append(small(f"{ctx.t('reference')} {session.reference}"))
    return lines


def _another_card(ctx: Ctx) -> list[Any]:
    notice = ctx.snap.notice if ctx.snap else None
    if notice is None or notice.code != "another_card":
        return []
    return [panel(body(ctx.t("another_card"), tone=RED), bg=AMBER, size_hint_y=None,
                  height=dp(48), padding=(dp(12), dp(4)))]


def _limits(ctx: Ctx, session: SessionView) -> list[Txt]:
    lines = []
    if session.headroom_fen is not None:
        lines.append(body(f"{ctx.t('can_add')} {format_yuan(session.headroom_fen)}"))
    if session.limits:
        lim = session.limits
        lines.append(small(ctx.t("limits", single=format_yuan(lim.get("single_max_fen", 0)),
                                 daily=format_yuan(lim.get("daily_remaining_fen", 0)),
                                 cap=format_yuan(lim.get("purse_cap_fen", 0)))))
    return lines


class TopupLimitsScreen(KioskScreen):
    """The top-up has started, nothing is in yet: what may go in, and cancel."""

    screen_name = "topup_limits"

    def build(self, ctx: Ctx) -> None:
        session = _session(ctx)
        self.add(*_another_card(ctx), title(ctx.t("topup_limits_title"), role="hero"))
        if session is not None:
            self.add(*_limits(ctx, session))
        self.add(spacer(), buttons(act(ctx.t("cancel"),
                                       lambda: ctx.app.send("POST", "/v1/topup/cancel"),
                                       "cancel", "secondary")))


class TopupInsertingScreen(KioskScreen):
    screen_name = "topup_inserting"

    def build(self, ctx: Ctx) -> None:
        session = _session(ctx)
        assert session is not None
        self.add(*_another_card(ctx), title(ctx.t("insert_notes")), small(ctx.t("inserted")),
                 amount(format_yuan(session.amount_fen)))
        if session.notes:
            notes = ", ".join(f"{format_yuan(v)} × {n}" for v, n in session.notes)
            self.add(small(ctx.t("notes_in", notes=notes)))
        self.add(*_limits(ctx, session), spacer(),
                 buttons(act(ctx.t("finish"), lambda: ctx.app.send("POST", "/v1/topup/finish"),
                             "finish")))


class TopupPutCardBackScreen(KioskScreen):
    screen_name = "topup_put_card_back"

    def build(self, ctx: Ctx) -> None:
        session = _session(ctx)
        self.add(*_another_card(ctx), spacer(), title(ctx.t("put_card_back"), role="hero"))
        if session is not None:
            self.add(body(ctx.t("put_card_back_text", card=session.card_no_masked)),
                     amount(format_yuan(session.amount_fen)))
        self.add(spacer())


class TopupLoadingScreen(KioskScreen):
    screen_name = "topup_loading"

    def build(self, ctx: Ctx) -> None:
        session = _session(ctx)
        self.add(spacer(), title(ctx.t("loading"), role="hero"))
        if session is not None:
            self.add(amount(format_yuan(session.amount_fen)))
        self.add(spacer())


class TopupDoneScreen(KioskScreen):
    screen_name = "topup_done"

    def build(self, ctx: Ctx) -> None:
        session = _session(ctx)
        self.add(spacer(), title(ctx.t("topup_done"), tone=GREEN, role="hero"))
        if session is not None:
            self.add(body(format_yuan(session.amount_fen, sign=True)))
            if session.balance_after_fen is not None:
                self.add(small(ctx.t("new_balance")),
                         amount(format_yuan(session.balance_after_fen)))
            self.add(*_receipt_lines(ctx, session))
        self.add(spacer(), buttons(act(ctx.t("done"), _end(ctx), "done", "secondary")))


class TopupPendingScreen(KioskScreen):
    screen_name = "topup_pending"

    def build(self, ctx: Ctx) -> None:
        session = _session(ctx)
        self.add(spacer(), title(ctx.t("pending_title"), tone=RED, role="hero"),
                 body(ctx.t("pending_text")))
        if session is not None:
            self.add(amount(format_yuan(session.amount_fen)))
            if session.receipt == "printed":
                self.add(body(ctx.t("voucher_printed")))
            self.add(*[w for w in _receipt_lines(ctx, session) if session.receipt != "printed"
                       or w.role == "small"])
        self.add(spacer(), buttons(act(ctx.t("done"), _end(ctx), "done", "secondary")))


class TopupRefusedScreen(KioskScreen):
    screen_name = "topup_refused"

    def build(self, ctx: Ctx) -> None:
        session = _session(ctx)
        self.add(spacer(), title(ctx.t("topup_refused"), tone=RED, role="hero"),
                 body(notice_text(ctx.snap, ctx.lang)))
        if session is not None:
            self.add(*_receipt_lines(ctx, session))
        self.add(spacer(), buttons(act(ctx.t("done"), _end(ctx), "done", "secondary")))


# -- bills ------------------------------------------------------------------------------------
UTILITIES = ("water", "electricity", "gas")


class BillUtilityScreen(KioskScreen):
    screen_name = "bill_utility"

    def build(self, ctx: Ctx) -> None:
        self.add(title(ctx.t("bill_utility_title")))
        self.add(tiles([(u, ctx.t(f"utility_{u}"), partial(self._pick, ctx, u))
                        for u in UTILITIES], cols=3))
        self.add(buttons(act(ctx.t("back"), lambda: ctx.app.go(None), "back", "secondary")))

    def _pick(self, ctx: Ctx, utility: str) -> None:
        account = ctx.app.screen("bill_account")
        assert isinstance(account, BillAccountScreen)
        account.utility = utility
        ctx.app.go("bill_account")


class KeypadScreen(KioskScreen):
    """A title, a field, the rules, and a keypad beside them. The field's digits are
    this screen's own state: state events redraw around them."""

    resets_input = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entry = self.new_entry()
        self.field: Txt | None = None
        self.rule: Txt | None = None

    def new_entry(self) -> Entry:
        return Entry(6, 6, masked=True)

    def arrive(self, ctx: Ctx) -> None:
        super().arrive(ctx)
        self.entry = self.new_entry()

    # subclasses: the texts, the extra key, what "OK" does
    def heading(self, ctx: Ctx) -> str:
        return ""

    def hint(self, ctx: Ctx) -> str:
        return ""

    def extra_key(self) -> str:
        return ""

    def submit(self, ctx: Ctx, value: str) -> None:
        pass

    def go_back(self, ctx: Ctx) -> None:
        ctx.app.go(None)

    def ok_text(self, ctx: Ctx) -> str:
        return ctx.t("ok")

    def more_acts(self, ctx: Ctx) -> list[Any]:
        return []

    def warning(self, ctx: Ctx) -> str:
        """The red line beside the pad: the screen's message (a keypad rule, a refusal)."""
        return self.message

    def build(self, ctx: Ctx) -> None:
        row = BoxLayout(orientation="horizontal", spacing=dp(16))
        left = BoxLayout(orientation="vertical", spacing=dp(8), size_hint_x=0.55)
        left.add_widget(title(self.heading(ctx)))
        hint = self.hint(ctx)
        if hint:
            left.add_widget(small(hint))
        self.field = amount(self.entry.shown() or " ", role="title")
        left.add_widget(panel(self.field, size_hint_y=None, height=dp(64)))
        warning = self.warning(ctx)
        if warning:
            left.add_widget(body(warning, tone=RED))
        left.add_widget(spacer())
        left.add_widget(buttons(act(ctx.t("back"), lambda: self.go_back(ctx), "back",
                                    "secondary"),
                                *self.more_acts(ctx),
                                act(self.ok_text(ctx), lambda: self._ok(ctx), "ok"), left=True))
        row.add_widget(left)
        row.add_widget(Keypad(self._key, lang=ctx.lang, extra=self.extra_key(),
                              spacing=dp(8), size_hint_x=0.45))
        self.add(row)

    def add_message(self) -> None:
        """Drawn by build() in the left column, beside the keypad, not under the page."""

    def _key(self, key: str) -> None:
        refusal = self.entry.press(key)
        self._show(refusal)

    def paste(self, text: str) -> None:
        self._show(self.entry.paste(text))

    def _show(self, refusal: str | None) -> None:
        lang = self.ctx.lang if self.ctx else "zh"
        from kiosk.i18n import t
        new_message = t(refusal, lang) if refusal else ""
        if new_message != self.message:
            self.message = new_message
            self.redraw()
        elif self.field is not None:
            self.field.text = self.entry.shown() or " "

    def _ok(self, ctx: Ctx) -> None:
        refusal = self.entry.complete()
        if refusal:
            self._show(refusal)
            return
        self.submit(ctx, self.entry.value)


class BillAccountScreen(KeypadScreen):
    screen_name = "bill_account"
    utility = "water"

    def new_entry(self) -> Entry:
        return Entry(6, 20)

    def heading(self, ctx: Ctx) -> str:
        return ctx.t("bill_account_title", utility=ctx.t(f"utility_{self.utility}"))

    def hint(self, ctx: Ctx) -> str:
        return ctx.t("bill_account_hint")

    def ok_text(self, ctx: Ctx) -> str:
        return ctx.t("find_bill")

    def go_back(self, ctx: Ctx) -> None:
        ctx.app.go("bill_utility")

    def submit(self, ctx: Ctx, value: str) -> None:
        ctx.app.send("POST", "/v1/bills/lookup", {"utility": self.utility, "account_no": value})


class BillFoundScreen(KioskScreen):
    screen_name = "bill_found"

    def build(self, ctx: Ctx) -> None:
        session = _session(ctx)
        assert session is not None
        bill = session.bill or {}
        payee = bill.get("payee_zh" if ctx.lang == "zh" else "payee") or bill.get("payee", "")
        self.add(title(str(payee)),
                 pairs([(ctx.t("account"), str(bill.get("account_no", ""))),
                        (ctx.t("holder"), str(bill.get("holder_name_masked", ""))),
                        (ctx.t("period"), str(bill.get("period", "")))]),
                 small(ctx.t("amount_due")), amount(format_yuan(session.amount_fen)))
        if session.pin_required:
            self.add(small(ctx.t("bill_needs_pin")))
        if ctx.snap is not None and ctx.snap.notice is not None:  # e.g. a wrong password
            self.add(body(notice_text(ctx.snap, ctx.lang), tone=RED))
        self.add(spacer(), buttons(act(ctx.t("cancel"), _end(ctx), "cancel", "secondary"),
                                   act(ctx.t("pay"), lambda: self._pay(ctx, session), "pay")))

    def _pay(self, ctx: Ctx, session: SessionView) -> None:
        if session.pin_required:
            pay_with_pin(ctx)
        else:
            ctx.app.send("POST", "/v1/bills/pay", {})


def pay_with_pin(ctx: Ctx) -> None:
    app = ctx.app
    app.pin_for(ctx.t("pay"), lambda pin: app.send("POST", "/v1/bills/pay", {"pin": pin}))


class PinEntryScreen(KeypadScreen):
    """The masked payment-password pad; what the PIN is for is set by the caller."""

    screen_name = "pin_entry"
    purpose = ""
    on_pin: Callable[[str], None] | None = None
    back_to: str | None = None

    def heading(self, ctx: Ctx) -> str:
        return ctx.t("pin_entry_title")

    def hint(self, ctx: Ctx) -> str:
        return f"{self.purpose} — {ctx.t('pin_entry_hint')}" if self.purpose else \
            ctx.t("pin_entry_hint")

    def go_back(self, ctx: Ctx) -> None:
        ctx.app.go(self.back_to)

    def warning(self, ctx: Ctx) -> str:
        # A wrong password for the bill on screen: the daemon brought the bill back
        # with the tries left (its notice), and the pad is here for the next try.
        notice = ctx.snap.notice if ctx.snap else None
        if not self.message and notice is not None and notice.code == "pin_wrong":
            return notice_text(ctx.snap, ctx.lang)
        return self.message

    def submit(self, ctx: Ctx, value: str) -> None:
        self.entry.reset()
        if self.field is not None:
            self.field.text = " "
        if self.on_pin is not None:
            self.on_pin(value)


class BillPayingScreen(KioskScreen):
    screen_name = "bill_paying"

    def build(self, ctx: Ctx) -> None:
        session = _session(ctx)
        self.add(spacer(), title(ctx.t("paying"), role="hero"))
        if session is not None:
            self.add(amount(format_yuan(session.amount_fen)))
        self.add(spacer())


class BillDoneScreen(KioskScreen):
    screen_name = "bill_done"

    def build(self, ctx: Ctx) -> None:
        session = _session(ctx)
        self.add(spacer(), title(ctx.t("bill_done"), tone=GREEN, role="hero"))
        if session is not None:
            self.add(body(format_yuan(-session.amount_fen)))
            if session.balance_after_fen is not None:
                self.add(small(ctx.t("new_balance")),
                         amount(format_yuan(session.balance_after_fen)))
            self.add(*_receipt_lines(ctx, session))
        self.add(spacer(), buttons(act(ctx.t("done"), _end(ctx), "done", "secondary")))


class BillFailedScreen(KioskScreen):
    screen_name = "bill_failed"

    def build(self, ctx: Ctx) -> None:
        session = _session(ctx)
        self.add(spacer(), title(ctx.t("bill_failed"), tone=RED, role="hero"),
                 body(notice_text(ctx.snap, ctx.lang), tone=GREY))
        if session is not None:
            self.add(*_receipt_lines(ctx, session))
        self.add(spacer(), buttons(act(ctx.t("done"), _end(ctx), "done", "secondary")))


def refusal_text(err: LocalApiError, lang: str) -> str:
    """The daemon's message, plus the tries left or the end of a lock as it sends them."""
    from kiosk.i18n import t
    text = err.message_zh if lang == "zh" else err.message
    details = err.details or {}
    extra = ""
    if details.get("locked_until"):
        extra = t("locked_until", lang, time=str(details["locked_until"])[11:16])
    elif details.get("tries_left") is not None:
        extra = t("tries_left", lang, n=details["tries_left"])
    if extra and extra not in text:
        text = f"{text}（{extra}）" if lang == "zh" else f"{text} ({extra})"
    return text
