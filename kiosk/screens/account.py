"""Services without cash: the payment password, loss reports, feedback, help."""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from kiosk.api import LocalApiError
from kiosk.keypad import Entry
from kiosk.screens.base import (
    Ctx,
    KioskScreen,
    act,
    body,
    buttons,
    panel,
    small,
    spacer,
    tiles,
    title,
)
from kiosk.screens.money import KeypadScreen, refusal_text
from kiosk.widgets import GREEN, RED

__all__ = ["FeedbackDoneScreen", "FeedbackScreen", "HelpScreen", "LossReportDoneScreen",
           "LossReportScreen", "PinChangeScreen", "PinDoneScreen", "PinSetScreen"]


class _Staged(KeypadScreen):
    """A keypad screen that asks for several fields in turn."""

    stages: tuple[str, ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        self.stage = self.stages[0]
        self.values: dict[str, str] = {}
        super().__init__(**kwargs)

    def arrive(self, ctx: Ctx) -> None:
        self.stage, self.values = self.stages[0], {}
        super().arrive(ctx)

    def to(self, stage: str, message: str = "") -> None:
        self.stage = stage
        self.entry = self.new_entry()
        self.message = message
        self.redraw()

    def go_back(self, ctx: Ctx) -> None:
        i = self.stages.index(self.stage)
        if i == 0:
            ctx.app.go(None)
        else:
            self.to(self.stages[i - 1])

    def new_pin_confirmed(self, ctx: Ctx, value: str) -> bool:
        """Keep ``value`` and ask the next field; at ``confirm``, True when it matches
        the new PIN (a mismatch asks for the new PIN again)."""
        if self.stage != "confirm":
            self.values[self.stage] = value
            self.to(self.stages[self.stages.index(self.stage) + 1])
            return False
        if value != self.values["new"]:
            self.to("new", ctx.t("pin_mismatch"))
            return False
        return True

    def refused_to(self, stage: str) -> Any:
        def refused(err: LocalApiError) -> bool:
            self.to(stage, refusal_text(err, self.ctx.lang if self.ctx else "zh"))
            return True
        return refused


class PinChangeScreen(_Staged):
    screen_name = "pin_change"
    stages = ("old", "new", "confirm")

    def heading(self, ctx: Ctx) -> str:
        return ctx.t({"old": "pin_old", "new": "pin_new", "confirm": "pin_confirm"}[self.stage])

    def hint(self, ctx: Ctx) -> str:
        return ctx.t("pin_rule") if self.stage != "old" else ctx.t("pin_change_title")

    def submit(self, ctx: Ctx, value: str) -> None:
        if not self.new_pin_confirmed(ctx, value):
            return

        def refused(err: LocalApiError) -> bool:
            if err.code == "pin_not_set":
                ctx.app.go("pin_set")
                return True
            back = "new" if err.code in ("pin_weak", "bad_pin") else "old"
            return bool(self.refused_to(back)(err))
        ctx.app.send("POST", "/v1/pin/change", {"old_pin": self.values["old"], "new_pin": value},
                     on_ok=lambda _: ctx.app.go("pin_done"), on_refused=refused)


class PinSetScreen(_Staged):
    """A card without a payment password: the ID's last 6, then the new one twice."""

    screen_name = "pin_set"
    stages = ("id", "new", "confirm")

    def new_entry(self) -> Entry:
        if getattr(self, "stage", "id") == "id":
            return Entry(6, 6, extra="X")
        return Entry(6, 6, masked=True)

    def extra_key(self) -> str:
        return "X" if self.stage == "id" else ""

    def heading(self, ctx: Ctx) -> str:
        return ctx.t({"id": "pin_set_id", "new": "pin_new", "confirm": "pin_confirm"}[self.stage])

    def hint(self, ctx: Ctx) -> str:
        return ctx.t("pin_set_title") if self.stage == "id" else ctx.t("pin_rule")

    def submit(self, ctx: Ctx, value: str) -> None:
        if not self.new_pin_confirmed(ctx, value):
            return

        def refused(err: LocalApiError) -> bool:
            back = "new" if err.code in ("pin_weak", "bad_pin") else "id"
            return bool(self.refused_to(back)(err))
        ctx.app.send("POST", "/v1/pin/set", {"new_pin": value, "id_last6": self.values["id"]},
                     on_ok=lambda _: ctx.app.go("pin_done"), on_refused=refused)


class PinDoneScreen(KioskScreen):
    screen_name = "pin_done"

    def build(self, ctx: Ctx) -> None:
        self.add(spacer(), title(ctx.t("pin_done"), tone=GREEN, role="hero"),
                 body(ctx.t("pin_done_text")), spacer(),
                 buttons(act(ctx.t("back"), lambda: ctx.app.go(None), "back", "secondary")))


class LossReportScreen(_Staged):
    """Card number → how to prove it → the proof → what happens → report."""

    screen_name = "loss_report"
    stages = ("card_no", "proof", "secret", "confirm")

    def __init__(self, **kwargs: Any) -> None:
        self.proof = "id_last6"
        super().__init__(**kwargs)

    def new_entry(self) -> Entry:
        stage = getattr(self, "stage", "card_no")
        if stage == "card_no":  # as printed: 19 digits (T-Union) or 20 (City Union)
            return Entry(19, 20)
        if getattr(self, "proof", "id_last6") == "pin":
            return Entry(6, 6, masked=True)
        return Entry(6, 6, extra="X")

    def extra_key(self) -> str:
        return "X" if self.stage == "secret" and self.proof == "id_last6" else ""

    def heading(self, ctx: Ctx) -> str:
        if self.stage == "card_no":
            return ctx.t("loss_card_no")
        return ctx.t("pin_set_id") if self.proof == "id_last6" else ctx.t("pin_entry_title")

    def hint(self, ctx: Ctx) -> str:
        return ctx.t("loss_title")

    def build(self, ctx: Ctx) -> None:
        if self.stage in ("card_no", "secret"):
            super().build(ctx)
            return
        if self.stage == "proof":
            self.add(title(ctx.t("loss_proof")),
                     tiles([("proof_id", ctx.t("proof_id"), lambda: self._proof("id_last6")),
                            ("proof_pin", ctx.t("proof_pin"), lambda: self._proof("pin"))],
                           cols=2))
        else:
            self.add(title(ctx.t("loss_confirm_title"), tone=RED),
                     body(self.values.get("card_no", "")),
                     panel(body(ctx.t("loss_confirm_text")), size_hint_y=None, height=dp(120)),
                     spacer())
        if self.message:
            self.add(body(self.message, tone=RED))
        acts = [act(ctx.t("back"), lambda: self.go_back(ctx), "back", "secondary")]
        if self.stage == "confirm":
            acts.append(act(ctx.t("loss_confirm"), lambda: self._report(ctx), "confirm",
                            "danger"))
        self.add(buttons(*acts))

    def _proof(self, proof: str) -> None:
        self.proof = proof
        self.to("secret")

    def submit(self, ctx: Ctx, value: str) -> None:
        self.values[self.stage] = value
        self.to("proof" if self.stage == "card_no" else "confirm")

    def _report(self, ctx: Ctx) -> None:
        payload = {"card_no": self.values["card_no"], self.proof: self.values["secret"]}

        def done(reply: Any) -> None:
            ctx.app.screen("loss_report_done").hand(result=reply)
            ctx.app.go("loss_report_done")

        def refused(err: LocalApiError) -> bool:
            self.to("card_no" if err.code == "bad_card_no" else "secret",
                    refusal_text(err, ctx.lang))
            return True
        ctx.app.send("POST", "/v1/loss-report", payload, on_ok=done, on_refused=refused)


class NumberedDoneScreen(KioskScreen):
    """A service done whose slip carries a number (a report, a ticket): the title, the
    number in a sentence, an optional next step, and Done."""

    result: dict[str, Any] | None = None
    title_key = text_key = number_field = ""
    next_key: str | None = None

    def build(self, ctx: Ctx) -> None:
        number = (self.result or {}).get(self.number_field, "")
        self.add(spacer(), title(ctx.t(self.title_key), tone=GREEN, role="hero"),
                 body(ctx.t(self.text_key, no=number)),
                 *([small(ctx.t(self.next_key))] if self.next_key else []), spacer(),
                 buttons(act(ctx.t("done"), lambda: ctx.app.go(None), "done", "secondary")))


class LossReportDoneScreen(NumberedDoneScreen):
    screen_name = "loss_report_done"
    title_key, text_key, number_field = "loss_done", "loss_done_text", "report_no"
    next_key = "card_lost_next"


CATEGORIES = ("card", "top_up", "bill_payment", "kiosk_fault", "receipt", "service", "other")
CANNED = ("canned_1", "canned_2", "canned_3", "canned_4")


class FeedbackScreen(_Staged):
    screen_name = "feedback"
    stages = ("category", "text", "phone")

    def new_entry(self) -> Entry:
        return Entry(11, 11)

    def heading(self, ctx: Ctx) -> str:
        return ctx.t("feedback_phone")

    def build(self, ctx: Ctx) -> None:
        if self.stage == "phone":
            super().build(ctx)
            return
        if self.stage == "category":
            self.add(title(ctx.t("feedback_title")),
                     tiles([(c, ctx.t(f"fb_{c}"), partial(self._pick, "category", c))
                            for c in CATEGORIES], cols=4))
        else:
            self.add(title(ctx.t("feedback_message")),
                     tiles([(k, ctx.t(k), partial(self._pick, "text", ctx.t(k)))
                            for k in CANNED], cols=2))
        if self.message:
            self.add(body(self.message, tone=RED))
        self.add(buttons(act(ctx.t("back"), lambda: self.go_back(ctx), "back", "secondary")))

    def _pick(self, stage: str, value: str) -> None:
        self.values[stage] = value
        self.to(self.stages[self.stages.index(stage) + 1])

    def more_acts(self, ctx: Ctx) -> list[Any]:
        return [act(ctx.t("skip"), lambda: self._send(ctx, None), "skip", "secondary")]

    def ok_text(self, ctx: Ctx) -> str:
        return ctx.t("send")

    def submit(self, ctx: Ctx, value: str) -> None:
        self._send(ctx, value)

    def _send(self, ctx: Ctx, phone: str | None) -> None:
        payload: dict[str, Any] = {"category": self.values["category"],
                                   "text": self.values["text"]}
        if phone:
            payload["phone"] = phone

        def done(reply: Any) -> None:
            ctx.app.screen("feedback_done").hand(result=reply)
            ctx.app.go("feedback_done")
        ctx.app.send("POST", "/v1/feedback", payload, on_ok=done,
                     on_refused=self.refused_to("phone"))


class FeedbackDoneScreen(NumberedDoneScreen):
    screen_name = "feedback_done"
    title_key, text_key, number_field = "feedback_done", "feedback_done_text", "ticket_no"


class HelpScreen(KioskScreen):
    """The help and emergency guides kioskd serves (``GET /v1/help``: the central
    side's, or the packaged default), a tile per section. Reached from the
    attract, home and every card-error screen."""

    screen_name = "help"
    reads_snapshot = False  # the guides come from GET /v1/help, not the snapshot

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.section = "use"
        self.doc: dict[str, Any] | None = None

    def arrive(self, ctx: Ctx) -> None:
        super().arrive(ctx)
        if self.section != "use":  # only then is there a choice to clear
            self.section = "use"
            self.stale = True
        ctx.app.send("GET", "/v1/help", on_ok=self._got)  # the issuer may have changed it

    def _got(self, reply: Any) -> None:
        if isinstance(reply, dict) and reply != self.doc:
            self.doc = reply
            self.redraw()

    def build(self, ctx: Ctx) -> None:
        self.add(title(ctx.t("help_title")))
        sections = (self.doc or {}).get("sections") or []
        if not sections:  # kioskd has not answered yet: the hotline at least
            self.add(body(ctx.t("help_hotline_text", hotline=ctx.app.hotline)), spacer(),
                     buttons(act(ctx.t("back"), lambda: ctx.app.go(None), "back",
                                 "secondary")))
            return
        zh = ctx.lang == "zh"
        shown = next((s for s in sections if s["id"] == self.section), sections[0])
        row = BoxLayout(orientation="horizontal", spacing=dp(14))
        row.add_widget(tiles([(f"help_{s['id']}", s["title_zh" if zh else "title"],
                               partial(self._open, s["id"])) for s in sections],
                             cols=2, kind="secondary"))
        row.children[0].size_hint_x = 0.42
        row.add_widget(panel(title(shown["title_zh" if zh else "title"], role="body"),
                             body(shown["body_zh" if zh else "body"], role="small"),
                             spacer(), size_hint_x=0.58))
        self.add(row, buttons(act(ctx.t("back"), lambda: ctx.app.go(None), "back",
                                  "secondary")))

    def _open(self, section: str) -> None:
        self.section = section
        self.redraw()

