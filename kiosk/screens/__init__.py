"""One Screen class per screen the cardholder sees (names as in docs/ui.md)."""

from __future__ import annotations

from kiosk.screens.account import (
    FeedbackDoneScreen,
    FeedbackScreen,
    HelpScreen,
    LossReportDoneScreen,
    LossReportScreen,
    PinChangeScreen,
    PinDoneScreen,
    PinSetScreen,
)
from kiosk.screens.base import Ctx, KioskScreen
from kiosk.screens.card import (
    AttractScreen,
    HistoryScreen,
    HomeScreen,
    PointsDoneScreen,
    PointsScreen,
    ReadingScreen,
    StatementPrintedScreen,
    StatementScreen,
)
from kiosk.screens.lifecycle import DisputeDoneScreen, LossCancelDoneScreen, LossCancelScreen
from kiosk.screens.money import (
    BillAccountScreen,
    BillDoneScreen,
    BillFailedScreen,
    BillFoundScreen,
    BillPayingScreen,
    BillUtilityScreen,
    PinEntryScreen,
    TopupDoneScreen,
    TopupInsertingScreen,
    TopupLimitsScreen,
    TopupLoadingScreen,
    TopupPendingScreen,
    TopupPutCardBackScreen,
    TopupRefusedScreen,
)
from kiosk.screens.status import (
    CARD_ERROR_NAMES,
    CardErrorScreen,
    MaintenanceScreen,
    OutOfServiceScreen,
    card_error_screens,
)

__all__ = ["SCREEN_CLASSES", "Ctx", "KioskScreen", "all_screens", "make_screen"]

SCREEN_CLASSES: list[type[KioskScreen]] = [
    AttractScreen, ReadingScreen, HomeScreen, HistoryScreen, StatementScreen,
    StatementPrintedScreen, TopupLimitsScreen, TopupInsertingScreen, TopupPutCardBackScreen,
    TopupLoadingScreen, TopupDoneScreen, TopupPendingScreen, TopupRefusedScreen,
    BillUtilityScreen, BillAccountScreen, BillFoundScreen, PinEntryScreen, BillPayingScreen,
    BillDoneScreen, BillFailedScreen, PointsScreen, PointsDoneScreen, PinChangeScreen,
    PinSetScreen, PinDoneScreen, LossReportScreen, LossReportDoneScreen, FeedbackScreen,
    FeedbackDoneScreen, HelpScreen, MaintenanceScreen, OutOfServiceScreen, LossCancelScreen,
    LossCancelDoneScreen, DisputeDoneScreen]


def all_screens() -> list[KioskScreen]:
    return [cls() for cls in SCREEN_CLASSES] + card_error_screens()


_BY_NAME = {cls.screen_name: cls for cls in SCREEN_CLASSES}


def make_screen(name: str) -> KioskScreen:
    """The screen called ``name``, new. The app makes each on its first use: the
    41 screens made at start-up were ~1.2 MB of widgets (docs/PERFORMANCE.md), and
    most kiosks show a few of them for hours."""
    if name in CARD_ERROR_NAMES:
        return CardErrorScreen(name)
    return _BY_NAME[name]()
