"""Screens that say why nothing can be done: card errors, maintenance, out of service."""

from __future__ import annotations

from kiosk.i18n import format_yuan
from kiosk.routing import CARD_ERRORS, CARD_STATUS_SCREENS
from kiosk.screens.base import (
    Ctx,
    KioskScreen,
    act,
    body,
    buttons,
    notice_text,
    small,
    spacer,
    title,
)
from kiosk.widgets import GREY, RED

__all__ = ["CardErrorScreen", "MaintenanceScreen", "OutOfServiceScreen", "card_error_screens"]

CARD_ERROR_NAMES = sorted({*CARD_ERRORS.values(), *CARD_STATUS_SCREENS.values(), "read_failed"})


class CardErrorScreen(KioskScreen):
    """One card error, with the daemon's notice and what to do next. A card the
    centre refuses (lost, blocked) may still show its own log and get help."""

    def __init__(self, error: str) -> None:
        self.screen_name = error
        super().__init__()

    def build(self, ctx: Ctx) -> None:
        error, app = self.screen_name, ctx.app
        self.add(spacer(), title(ctx.t(f"{error}_title"), tone=RED, role="hero"))
        said = notice_text(ctx.snap, ctx.lang)
        if said:
            self.add(body(said, tone=GREY))
        card = ctx.snap.card if ctx.snap is not None and ctx.snap.screen == "card" else None
        black = card.blacklist if card is not None and error == "card_blacklisted" else None
        if black:
            reason = str(black.get("reason", "other"))
            self.add(body(ctx.t("blacklist_reason", reason=ctx.t(f"reason_{reason}"))))
            if reason == "overdraft":
                self.add(body(ctx.t("overdraft_owed",
                                    amount=format_yuan(int(black.get("owed_fen", 0)))),
                              tone=RED))
        # Every card error names the hotline (service.hotline, as on every receipt).
        self.add(body(ctx.t(f"{error}_next")), body(ctx.t("help_hotline_text",
                                                          hotline=app.hotline)), spacer())
        acts = [act(ctx.t("tile_help"), lambda: app.go("help"), "help", "secondary")]
        if card is not None and error == "card_lost":
            acts.append(act(ctx.t("loss_cancel_go"), lambda: app.go("loss_cancel"),
                            "cancel_loss", "secondary"))
        if black and black.get("reason") == "overdraft":
            acts.append(act(ctx.t("overdraft_repay"),
                            lambda: app.send("POST", "/v1/topup/start"), "repay"))
        if ctx.snap is not None and ctx.snap.screen == "card":
            acts.append(act(ctx.t("tile_history"), lambda: app.go("history"), "history",
                            "secondary"))
        acts.append(act(ctx.t("done"), lambda: app.send("POST", "/v1/session/end"), "done"))
        self.add(buttons(*acts))


def card_error_screens() -> list[KioskScreen]:
    return [CardErrorScreen(name) for name in CARD_ERROR_NAMES]


class MaintenanceScreen(KioskScreen):
    screen_name = "maintenance"

    def build(self, ctx: Ctx) -> None:
        self.add(spacer(), title(ctx.t("maintenance_title"), tone=GREY, role="hero"),
                 body((ctx.snap.maintenance if ctx.snap else "") or ""), spacer())


class OutOfServiceScreen(KioskScreen):
    screen_name = "out_of_service"

    def build(self, ctx: Ctx) -> None:
        self.add(spacer(), title(ctx.t("out_of_service"), tone=GREY, role="hero"),
                 body(ctx.t("out_of_service_text")), small(ctx.t("help_hotline_text",
                                                                 hotline=ctx.app.hotline)),
                 spacer())
