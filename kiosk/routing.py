"""Which screen shows: the daemon's snapshot decides, the UI only adds the steps
that hold no money state (no Kivy here, so the rules are tested on their own).

The snapshot's ``screen`` (and its session's step) picks the screen. While the
daemon shows the attract or the card screen, the person may walk through the
UI's own screens (history, a keypad, help, …): ``local`` names the one they are
on, and it holds only until the daemon's screen changes. A restarted UI has no
``local`` and comes back on the daemon's screen.
"""

from __future__ import annotations

from kiosk.api import StateSnapshot

__all__ = ["ATTRACT_LOCAL", "CARD_LOCAL", "CARD_STATUS_SCREENS", "screen_for"]

# UI-only screens reachable without a card (a lost card is not in the hand).
ATTRACT_LOCAL = frozenset({"help", "loss_report", "loss_report_done", "feedback",
                           "feedback_done"})
# UI-only screens reachable with a card on the reader.
CARD_LOCAL = ATTRACT_LOCAL | {"history", "statement", "statement_printed", "bill_utility",
                              "bill_account", "pin_entry", "points", "pin_change", "pin_set",
                              "pin_done", "loss_cancel_done", "dispute_done"}
# A card the centre will take no money for gets its own screen instead of home.
CARD_STATUS_SCREENS = {"lost": "card_lost", "blacklisted": "card_blacklisted",
                       "expired": "card_expired", "blocked": "card_blocked"}
# While a card is refused, these UI screens stay open (its own log, help, a report).
REFUSED_CARD_LOCAL = frozenset({"history", "help", "feedback", "feedback_done", "loss_cancel"})
CARD_ERRORS = {"card_not_supported": "not_our_card", "card_blocked": "card_blocked",
               "card_lost": "card_lost", "card_blacklisted": "card_blacklisted",
               "card_expired": "card_expired"}
_TOPUP_STEPS = {"tap_card": "topup_put_card_back", "finishing": "topup_loading",
                "loading": "topup_loading", "holding": "topup_loading",
                "offered": "topup_loading", "done": "topup_done", "pending": "topup_pending",
                "failed": "topup_refused"}
_BILL_STEPS = {"paying": "bill_paying", "done": "bill_done", "failed": "bill_failed",
               "pending": "bill_failed"}


def screen_for(snap: StateSnapshot | None, local: str | None = None,
               origin: str | None = None) -> str:
    """The screen's name for ``snap`` (None: kioskd unreachable); ``local`` is the
    UI's own screen, ``origin`` the service that started the session (``points``)."""
    if snap is None:
        return "out_of_service"
    screen = snap.screen
    if screen == "maintenance":
        return "maintenance"
    if screen == "attract":
        return local if local in ATTRACT_LOCAL else "attract"
    if screen == "reading":
        return "reading"
    if screen == "card_error":
        code = snap.notice.code if snap.notice else ""
        return CARD_ERRORS.get(code, "read_failed")
    if screen == "card" and snap.card is not None:
        refused = CARD_STATUS_SCREENS.get(snap.card.status)
        if refused:
            # Cancelling a loss report is for a lost card only (a found one).
            allowed = local in REFUSED_CARD_LOCAL and (local != "loss_cancel"
                                                       or snap.card.status == "lost")
            return local if allowed and local is not None else refused
        return local if local in CARD_LOCAL else "home"
    session = snap.session
    if session is None:
        return "attract"
    step = session.step
    if session.kind == "bill":
        if step == "found":
            return "pin_entry" if local == "pin_entry" else "bill_found"
        return _BILL_STEPS.get(step, "bill_paying")
    if session.kind == "topup" and step == "inserting":
        return "topup_inserting" if session.amount_fen else "topup_limits"
    name = _TOPUP_STEPS.get(step, "topup_loading")
    if name == "topup_done" and origin == "points":
        return "points_done"
    return name
