"""The loss-report lifecycle and disputes on screen: cancel the loss report of a
found card, the balance transfer offered on a replacement card's home screen (a
line and a button, :func:`transfer_line`), and the slip of a disputed transaction."""

from __future__ import annotations

from typing import Any

from kiosk.api import LocalApiError
from kiosk.i18n import format_yuan
from kiosk.keypad import Entry
from kiosk.screens.account import NumberedDoneScreen, _Staged
from kiosk.screens.base import Ctx, KioskScreen, act, body, buttons, small, spacer, tiles, title
from kiosk.screens.money import refusal_text
from kiosk.widgets import GREEN, RED

__all__ = ["DisputeDoneScreen", "LossCancelDoneScreen", "LossCancelScreen", "transfer_line"]


class LossCancelScreen(_Staged):
    """解挂: how to prove it is the holder's card → the proof → sent."""

    screen_name = "loss_cancel"
    stages = ("proof", "secret")

    def __init__(self, **kwargs: Any) -> None:
        self.proof = "id_last6"
        super().__init__(**kwargs)

    def new_entry(self) -> Entry:
        if getattr(self, "proof", "id_last6") == "pin":
            return Entry(6, 6, masked=True)
        return Entry(6, 6, extra="X")

    def extra_key(self) -> str:
        return "X" if self.stage == "secret" and self.proof == "id_last6" else ""

    def heading(self, ctx: Ctx) -> str:
        return ctx.t("pin_set_id") if self.proof == "id_last6" else ctx.t("pin_entry_title")

    def hint(self, ctx: Ctx) -> str:
        return ctx.t("loss_cancel_title")

    def build(self, ctx: Ctx) -> None:
        if self.stage == "secret":
            super().build(ctx)
            return
        self.add(title(ctx.t("loss_cancel_title")), body(ctx.t("loss_cancel_text")),
                 tiles([("proof_id", ctx.t("proof_id"), lambda: self._proof("id_last6")),
                        ("proof_pin", ctx.t("proof_pin"), lambda: self._proof("pin"))],
                       cols=2))
        if self.message:
            self.add(body(self.message, tone=RED))
        self.add(buttons(act(ctx.t("back"), lambda: ctx.app.go(None), "back", "secondary")))

    def _proof(self, proof: str) -> None:
        self.proof = proof
        self.to("secret")

    def submit(self, ctx: Ctx, value: str) -> None:
        def done(reply: Any) -> None:
            ctx.app.screen("loss_cancel_done").hand(result=reply)
            ctx.app.go("loss_cancel_done")

        def refused(err: LocalApiError) -> bool:
            self.to("secret", refusal_text(err, ctx.lang))
            return True
        ctx.app.send("POST", "/v1/loss-report/cancel", {self.proof: value}, on_ok=done,
                     on_refused=refused)


class LossCancelDoneScreen(NumberedDoneScreen):
    screen_name = "loss_cancel_done"
    title_key, text_key = "loss_cancel_done", "loss_cancel_done_text"
    number_field = "report_no"


class DisputeDoneScreen(KioskScreen):
    """The ticket of a disputed transaction, and the loss report offered at once."""

    screen_name = "dispute_done"
    result: dict[str, Any] | None = None

    def build(self, ctx: Ctx) -> None:
        r = self.result or {}
        self.add(spacer(), title(ctx.t("dispute_done"), tone=GREEN, role="hero"),
                 body(ctx.t("dispute_done_text", no=r.get("ticket_no", ""),
                            hotline=ctx.app.hotline)))
        acts = [act(ctx.t("back"), lambda: ctx.app.go(None), "back", "secondary")]
        if r.get("offer_loss_report"):
            self.add(body(ctx.t("dispute_offer_loss"), tone=RED))
            acts.append(act(ctx.t("tile_loss"), lambda: ctx.app.go("loss_report"),
                            "loss_report", "danger"))
        self.add(spacer(), buttons(*acts))


def transfer_line(ctx: Ctx, transfer: dict[str, Any]) -> list[Any]:
    """What a replacement card's home screen says of the old card's balance."""
    status = transfer.get("status")
    old = str(transfer.get("old_card_no_masked", ""))
    if status == "held":
        day = str(transfer.get("available_at", ""))[:10]
        return [small(ctx.t("transfer_held", old=old, day=day,
                            amount=format_yuan(int(transfer.get("transferable_fen", 0)))))]
    if status == "available" and int(transfer.get("amount_fen", 0)) > 0:
        text = ctx.t("transfer_offer", amount=format_yuan(int(transfer["amount_fen"])), old=old)
        # small: two lines of it fit the bar's 60 dp in large text (body's did not)
        return [body(text, tone=GREEN, role="small"),
                act(ctx.t("transfer_go"), lambda: ctx.app.send("POST", "/v1/transfer"),
                    "transfer")]
    return []
