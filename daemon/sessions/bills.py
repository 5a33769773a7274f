"""Bill payment from the card's e-purse: look the bill up, then pay it.

::

    lookup (the centre's bill for a utility account) → found
      → pay (payment password over the threshold, as a PIN block) → paying
      → the purchase order runs on the card (runner) → done (receipt) | failed
"""

from __future__ import annotations

from collections.abc import Callable

from daemon.central import CentralError, CentralMalformed, CentralRejected, central_path, reply_as
from daemon.errors import BadInput, CentralRefusal, Refused, Unavailable
from daemon.sessions.machine import Machine, offline
from daemon.sessions.ports import CentralApi, Purchases
from daemon.sessions.runner import OrderRunner
from daemon.sessions.steps import Kind, Step
from protocol.central import Bill, BillQuery, Utility
from protocol.local import SessionView
from protocol.wire import to_json

__all__ = ["Bills"]


class Bills:
    """The bill intents."""

    def __init__(self, machine: Machine, runner: OrderRunner, *, central: CentralApi,
                 purchases: Purchases, pin_threshold_fen: int,
                 pin_block: Callable[[str, str], str] | None) -> None:
        self._m = machine
        self._runner = runner
        self._central = central
        self._purchases = purchases
        self._pin_threshold = pin_threshold_fen
        self._pin_block = pin_block

    def find(self, utility: Utility, account_no: str) -> SessionView:
        """The bill of a utility account, on screen for the card on the reader."""
        m = self._m
        with m.lock:
            m.require_idle()
            card, _ = m.card_for_money()
        try:
            query = BillQuery(utility=utility, account_no=account_no)
            found = reply_as(Bill, self._central.request("GET", central_path("/v1/bills", query)))
        except CentralRejected as exc:
            raise CentralRefusal(exc.code, exc.message, exc.message_zh, {},  # no details, as ever
                                 central_status=exc.status) from None
        except CentralMalformed:
            raise Unavailable("central_malformed", "The bill could not be read.",
                              "账单读取失败。") from None
        except CentralError:
            raise offline() from None
        bill = to_json(found)
        if found.status == "paid":
            raise Refused("bill_already_paid", "This bill is already paid.", "该账单已缴清。")
        with m.lock:
            m.require_idle()  # another request started one while the centre answered
            session = m.open(Kind.BILL, card, bill=bill)
            m.current = session
            return m.show(session)

    def pay(self, pin: str | None) -> SessionView:
        """Pay the bill on screen; the payment password's PIN block goes with the order."""
        m = self._m
        with m.lock:
            session = m.require(Kind.BILL, Step.FOUND)
            assert session.bill is not None
            amount = int(session.bill["amount_due_fen"])
            if amount > self._pin_threshold and not pin:
                raise BadInput("pin_required", "Enter your payment password.",
                               "请输入支付密码。")
            if pin is not None and (not pin.isdigit() or len(pin) != 6):
                raise BadInput("bad_pin", "The payment password is 6 digits.",
                               "支付密码为6位数字。")
            order = m.store.create(kind="purchase", card_no=session.card_no,
                                   amount_fen=amount, session_id=session.id,
                                   facts={"bill_id": session.bill["bill_id"], "aid": session.aid})
            if pin and self._pin_block is not None:
                self._purchases.with_pin_block(order, self._pin_block(pin, session.card_no))
            session.order_id = order.id
            m.move(session, Step.PAYING)
            view = m.show(session)
        m.submit(self._runner.run, session.id)
        return view
