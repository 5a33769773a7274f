"""One function per screen: a daemon snapshot in, the Kivy widgets for it out.

The views hold no state; every redraw starts from the snapshot, so the UI can
restart at any moment and come back on the right screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.i18n import CARD_STATUS, CARD_TYPES, RECORD_KINDS, format_yuan, label, t
from kiosk.widgets import AMBER, BLUE, CARD, GREEN, GREY, RED, Panel, action, text
from protocol.local import CardView, SessionView, StateSnapshot

__all__ = ["Intent", "body_for", "out_of_service"]

Intent = Callable[[str, dict[str, Any] | None], None]


def _column(**kwargs: Any) -> BoxLayout:
    return BoxLayout(orientation="vertical", **kwargs)


def _buttons(*buttons: Widget) -> BoxLayout:
    row = BoxLayout(orientation="horizontal", size_hint_y=None, height=96, spacing=24)
    row.add_widget(Widget())
    for b in buttons:
        row.add_widget(b)
    return row


def _message(title: str, body: str, colour: tuple[float, ...] = BLUE,
             *extra: Widget) -> BoxLayout:
    box = _column(spacing=24, padding=(80, 60))
    box.add_widget(Widget())
    box.add_widget(text(title, 64, colour, bold=True, halign="center", height=110))
    box.add_widget(text(body, 32, GREY, halign="center", height=120))
    for widget in extra:
        box.add_widget(widget)
    box.add_widget(Widget())
    return box


def attract(snap: StateSnapshot, lang: str, intent: Intent) -> Widget:
    other = "en" if lang == "zh" else "zh"
    box = _column(spacing=18, padding=(80, 80))
    box.add_widget(Widget())
    box.add_widget(text(t("tap_card", lang), 96, BLUE, bold=True, halign="center", height=150))
    box.add_widget(text(t("tap_card", other), 40, GREY, halign="center", height=70))
    box.add_widget(text(t("tap_card_hint", lang), 30, GREY, halign="center", height=60))
    box.add_widget(Widget())
    return box


def reading(snap: StateSnapshot, lang: str, intent: Intent) -> Widget:
    return _message(t("reading", lang), "")


def _central_note(card: CardView, lang: str) -> str | None:
    return {"offline": t("central_offline", lang), "pending": t("central_pending", lang),
            "unknown_card": t("central_unknown_card", lang)}.get(card.central)


def card_screen(snap: StateSnapshot, lang: str, intent: Intent) -> Widget:
    card = snap.card
    assert card is not None
    page = _column(spacing=20, padding=(48, 32))
    note = _central_note(card, lang)
    if note:
        banner = Panel(AMBER, radius=12, size_hint_y=None, height=64, padding=(24, 0))
        banner.add_widget(text(note, 26, RED))
        page.add_widget(banner)
    row = BoxLayout(orientation="horizontal", spacing=32)
    left = Panel(CARD, radius=16, orientation="vertical", padding=(36, 28), spacing=8,
                 size_hint_x=0.42)
    left.add_widget(text(t("balance", lang), 32, GREY, height=50))
    left.add_widget(text(format_yuan(card.balance_fen), 96, BLUE, bold=True, height=130,
                         wrap=False))
    left.add_widget(text(card.card_no_masked, 34, height=56, wrap=False))
    left.add_widget(text(label(CARD_TYPES, card.card_type, lang), 30, GREY, height=50))
    left.add_widget(Widget())
    row.add_widget(left)
    right = Panel(CARD, radius=16, orientation="vertical", padding=(36, 28), spacing=6,
                  size_hint_x=0.58)
    details = [(t("validity", lang), f"{card.valid_from} – {card.valid_until}"),
               (t("status", lang), label(CARD_STATUS, card.status, lang))]
    if card.points is not None:
        details.append((t("points", lang), str(card.points)))
    if card.pending_load_fen:
        details.append((t("pending_load", lang), format_yuan(card.pending_load_fen)))
    for name, value in details:
        line = BoxLayout(orientation="horizontal", size_hint_y=None, height=44)
        line.add_widget(text(name, 26, GREY, size_hint_x=0.35))
        line.add_widget(text(value, 26))
        right.add_widget(line)
    right.add_widget(text(t("recent", lang), 26, BLUE, bold=True, height=52))
    if not card.records:
        right.add_widget(text(t("no_records", lang), 24, GREY, height=40))
    for record in card.records[:5]:
        sign = "+" if record.kind in ("load", "passbook_load") else "-"
        line = BoxLayout(orientation="horizontal", size_hint_y=None, height=38)
        line.add_widget(text(record.when.replace("T", " ")[:16], 22, GREY, size_hint_x=0.45))
        line.add_widget(text(label(RECORD_KINDS, record.kind, lang), 22, size_hint_x=0.25))
        line.add_widget(text(f"{sign}{format_yuan(record.amount_fen)}", 22, halign="right"))
        right.add_widget(line)
    right.add_widget(Widget())
    row.add_widget(right)
    page.add_widget(row)
    buttons = []
    if card.central == "ok" and card.status == "active":
        if card.pending_load_fen:
            buttons.append(action(t("complete_pending", lang),
                                  lambda: intent("/v1/pending-load/complete", None), width=380))
        buttons.append(action(t("top_up", lang), lambda: intent("/v1/topup/start", None)))
    buttons.append(action(t("done", lang), lambda: intent("/v1/session/end", None),
                          primary=False, width=220))
    page.add_widget(_buttons(*buttons))
    return page


def card_error(snap: StateSnapshot, lang: str, intent: Intent) -> Widget:
    notice = snap.notice
    body = "" if notice is None else (notice.message_zh if lang == "zh" else notice.message)
    return _message(t("card_error_title", lang), body, RED,
                    _buttons(action(t("done", lang), lambda: intent("/v1/session/end", None),
                                    primary=False, width=220)))


def maintenance(snap: StateSnapshot, lang: str, intent: Intent) -> Widget:
    return _message(t("maintenance_title", lang), snap.maintenance or "", GREY)


def out_of_service(lang: str) -> Widget:
    return _message(t("out_of_service", lang), t("out_of_service_text", lang), GREY)


def session_screen(snap: StateSnapshot, lang: str, intent: Intent) -> Widget:
    session = snap.session
    assert session is not None
    step = session.step
    if step in ("done", "pending", "failed"):
        return _result(snap, session, lang, intent)
    if session.kind == "topup" and step == "inserting":
        return _inserting(session, lang, intent)
    if session.kind == "bill" and step == "found":
        return _bill(session, lang, intent)
    title = {"tap_card": t("put_card_back", lang), "loading": t("loading", lang),
             "paying": t("paying", lang), "finishing": t("loading", lang)}.get(step, step)
    return _message(title, f"{t('inserted', lang) if session.kind == 'topup' else ''} "
                    f"{format_yuan(session.amount_fen)}".strip())


def _inserting(session: SessionView, lang: str, intent: Intent) -> Widget:
    box = _column(spacing=16, padding=(80, 40))
    box.add_widget(text(t("insert_notes", lang), 48, BLUE, bold=True, halign="center",
                        height=90))
    box.add_widget(text(t("inserted", lang), 30, GREY, halign="center", height=50))
    box.add_widget(text(format_yuan(session.amount_fen), 110, BLUE, bold=True, halign="center",
                        height=150, wrap=False))
    if session.headroom_fen is not None:
        box.add_widget(text(f"{t('can_add', lang)} {format_yuan(session.headroom_fen)}", 30,
                            halign="center", height=50))
    limits = session.limits
    if limits:
        box.add_widget(text(t("limits", lang, single=format_yuan(limits["single_max_fen"]),
                              daily=format_yuan(limits["daily_remaining_fen"]),
                              cap=format_yuan(limits["purse_cap_fen"])), 24, GREY,
                            halign="center", height=50))
    box.add_widget(Widget())
    if session.amount_fen:
        box.add_widget(_buttons(action(t("finish", lang),
                                       lambda: intent("/v1/topup/finish", None), width=420)))
    else:
        box.add_widget(_buttons(action(t("cancel", lang),
                                       lambda: intent("/v1/topup/cancel", None),
                                       primary=False, width=220)))
    return box


def _bill(session: SessionView, lang: str, intent: Intent) -> Widget:
    bill = session.bill or {}
    box = _column(spacing=14, padding=(80, 40))
    box.add_widget(text(t("bill_title", lang), 48, BLUE, bold=True, height=80))
    payee = bill.get("payee_zh" if lang == "zh" else "payee") or bill.get("payee", "")
    for line in (str(payee), f"{bill.get('account_no', '')}  {bill.get('holder_name_masked', '')}",
                 str(bill.get("period", ""))):
        box.add_widget(text(line, 30, height=48))
    box.add_widget(text(t("amount_due", lang), 28, GREY, height=46))
    box.add_widget(text(format_yuan(session.amount_fen), 80, BLUE, bold=True, height=110,
                        wrap=False))
    box.add_widget(Widget())
    box.add_widget(_buttons(action(t("pay", lang), lambda: intent("/v1/bills/pay", {})),
                            action(t("cancel", lang), lambda: intent("/v1/session/end", None),
                                   primary=False, width=220)))
    return box


def _result(snap: StateSnapshot, session: SessionView, lang: str, intent: Intent) -> Widget:
    if session.step == "done":
        title = t("topup_done" if session.kind != "bill" else "bill_done", lang)
        colour: tuple[float, ...] = GREEN
        body = (f"{t('new_balance', lang)} {format_yuan(session.balance_after_fen)}"
                if session.balance_after_fen is not None else "")
    elif session.step == "pending":
        title, colour, body = t("pending_title", lang), RED, t("pending_text", lang)
    else:
        title, colour = t("failed", lang), RED
        notice = snap.notice
        body = "" if notice is None else (notice.message_zh if lang == "zh" else notice.message)
    receipt = ""
    if session.receipt == "printed":
        receipt = t("receipt_printed", lang)
    elif session.receipt == "not_printed":
        receipt = t("receipt_not_printed", lang, ref=session.reference or "")
    extra = [text(receipt, 28, GREY, halign="center", height=50)] if receipt else []
    if session.reference:
        extra.append(text(f"{t('reference', lang)} {session.reference}", 22, GREY,
                          halign="center", height=40))
    extra.append(_buttons(action(t("done", lang), lambda: intent("/v1/session/end", None),
                                 primary=False, width=220)))
    return _message(title, body, colour, *extra)


_SCREENS: dict[str, Callable[[StateSnapshot, str, Intent], Widget]] = {
    "attract": attract, "reading": reading, "card": card_screen, "card_error": card_error,
    "maintenance": maintenance, "topup": session_screen, "bill": session_screen,
    "pending_load": session_screen,
}


def body_for(snap: StateSnapshot, intent: Intent) -> Widget:
    """The body for ``snap`` in its language (a screen the daemon sends without the
    data it needs falls back to the attract screen rather than crash)."""
    view = _SCREENS.get(snap.screen, attract)
    if (view is card_screen and snap.card is None) or (
            view is session_screen and snap.session is None):
        view = attract
    return view(snap, snap.language, intent)
