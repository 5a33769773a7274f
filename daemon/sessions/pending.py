"""Finishing a load the central side holds for the card on the reader: a top-up
whose card walked away, points redeemed into a load, or the balance of a lost
card moved onto its replacement (a transfer: no cash, created here).

The journal's own order for that central order goes on when this kiosk has
one (the top-up that took the cash), so the audit credits that top-up; a load
paid for elsewhere (another kiosk, points) gets its own order. The session
opens in ``loading`` and the order runs (runner).
"""

from __future__ import annotations

from typing import Any

from daemon.central import CentralError, CentralMalformed, central_path, reply_as
from daemon.errors import Refused, Unavailable
from daemon.sessions.machine import Machine, offline
from daemon.sessions.ports import CentralApi
from daemon.sessions.runner import OrderRunner
from daemon.sessions.steps import Kind
from protocol.central import LoadOrder
from protocol.local import SessionView

__all__ = ["PendingLoads"]


class PendingLoads:
    """The pending-load intent."""

    def __init__(self, machine: Machine, runner: OrderRunner, *, central: CentralApi) -> None:
        self._m = machine
        self._runner = runner
        self._central = central

    def complete(self, which: tuple[str, int] | None = None,
                 source: str = "pending") -> SessionView:
        """Finish a load the central side holds for the card on the reader (the first
        pending one, or ``which`` = (central order id, amount), e.g. from points)."""
        m = self._m
        with m.lock:
            m.require_idle()
            card, central = m.card_for_money()
            if which is None and not central.pending_loads:
                raise Refused("no_pending_load", "This card has no load waiting.",
                              "此卡没有待圈存的金额。")
            central_ref, amount = which or central.pending_loads[0]
        try:
            remote = reply_as(LoadOrder, self._central.request(
                "GET", central_path("/v1/load-orders/{ref}", ref=central_ref)))
        except CentralMalformed:
            raise Unavailable("central_malformed", "The pending load could not be read.",
                              "待圈存记录读取失败。") from None
        except CentralError:
            raise offline() from None
        with m.lock:
            m.require_idle()  # another request started one while the centre answered
            known = m.store.by_central_ref(central_ref)
            if known is not None and (known.state != "pending" or known.card_no != card.card_no
                                      or known.amount_fen != amount):
                # Not held: recovery or the card's log is finishing it right now.
                raise Refused("load_in_progress",
                              "This load is being finished. Please try again in a moment.",
                              "该笔圈存正在处理中，请稍后再试。")
            if remote.source == "transfer":  # a transfer left pending (a crash, a tear)
                source = "transfer"
            session = m.open(Kind.PENDING_LOAD, card)
            if known is not None:
                # One central order, one journal row: the top-up's own order goes on, so
                # the audit credits the top-up that took the cash; recovery leaves it to
                # this session while it is open (driven_by).
                order = m.store.advance(known, "created", driven_by=session.id,
                                        completes=central_ref)
            else:
                facts: dict[str, Any] = {"completes": central_ref, "source": source,
                                         "aid": session.aid}
                if source == "transfer" and central.transfer is not None:
                    facts["old_card_no"] = central.transfer.old_card_no
                    facts["old_aid"] = central.transfer.old_aid
                order = m.store.create(kind="load", card_no=card.card_no,
                                       amount_fen=amount, session_id=session.id, facts=facts)
                order = m.store.advance(order, "created", central_ref=central_ref,
                                        terminal_id=remote.terminal_id.upper())
            if remote.status == "mac2_issued" and remote.host_date and remote.host_time:
                # An earlier CREDIT may have reached the card: its log decides first.
                m.store.advance(order, "credit_sent", host_date=remote.host_date,
                                host_time=remote.host_time)
            session.order_id = order.id
            m.current = session
            view = m.show(session)
        m.submit(self._runner.run, session.id)
        return view

    def transfer(self) -> SessionView:
        """Move the lost card's balance onto the replacement card on the reader: a load
        of what fits under the e-purse cap (the rest stays transferable), journaled
        before the centre hears of it and run like any load."""
        m = self._m
        with m.lock:
            m.require_idle()
            card, central = m.card_for_money()  # a lost or blocked new card takes nothing
            info = central.transfer
            if info is None:
                raise Refused("transfer_none", "This card is not the replacement of a lost "
                              "card: there is no balance to move.",
                              "此卡不是挂失补办的新卡，没有可转移的余额。")
            if info.status == "held":
                raise Refused("transfer_not_yet",
                              f"The old card's balance is held until {info.available_at[:10]}"
                              " (late transit records may still arrive); tap again then.",
                              f"旧卡余额保留至{info.available_at[:10]}（期间可能仍有延迟上传的"
                              "乘车记录），届时请再次刷卡转入。",
                              details={"available_at": info.available_at})
            if info.status == "in_progress":
                # Asked before and left pending (a crash, a card taken away): finish that
                # same order rather than start a second one.
                ref = next((ref for ref, src in central.pending_sources.items()
                            if src == "transfer"), None)
                amount = dict(central.pending_loads).get(ref or "")
                if ref is None or amount is None:
                    raise Refused("load_in_progress", "This load is being finished. Please "
                                  "try again in a moment.", "该笔圈存正在处理中，请稍后再试。")
                which: tuple[str, int] | None = (ref, amount)
            else:
                which = None
                if info.transferable_fen == 0:
                    raise Refused("transfer_done", "The old card's balance has already been "
                                  "moved to this card.", "旧卡余额已全部转入此卡。")
                cap = central.load_limits["purse_cap_fen"] if central.load_limits else None
                amount = info.view(card.balance_fen, cap)["amount_fen"]
                if amount <= 0:
                    raise Refused("limit_reached", "This card is at its balance cap: spend "
                                  "some first; the old balance stays transferable.",
                                  "此卡余额已达上限，请消费后再转入，旧卡余额继续保留。")
        if which is not None:
            return self.complete(which, "transfer")
        with m.lock:
            m.require_idle()
            session = m.open(Kind.PENDING_LOAD, card)
            order = m.store.create(kind="load", card_no=card.card_no, amount_fen=amount,
                                   session_id=session.id,
                                   facts={"source": "transfer", "old_card_no": info.old_card_no,
                                          "old_aid": info.old_aid, "aid": session.aid,
                                          "balance_fen": card.balance_fen})
            session.order_id = order.id
            m.current = session
            view = m.show(session)
        m.submit(self._runner.run, session.id)
        return view
