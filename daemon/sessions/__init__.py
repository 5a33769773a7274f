"""Cardholder money sessions: top-up with cash, bill payment, finishing a pending load.

One session at a time, driven as a state machine. The parts::

    manager      Sessions: the local API's intents, the card flow's hooks, idle timeouts
    steps        the kinds, the steps and the one table of moves between them
    machine      the current session; Machine.move, the only place a step changes
    topups       top-up with cash: limits, the journal's total, the load order
    bills        bill look-up and payment
    pending      finishing a load the central side holds (a walked-away top-up, points)
    runner       an order driven on the worker, and where it leaves the session
    maintenance  the operator's maintenance and the centre's windows
    receipts     the receipt a finished session prints
    ports        what the sessions need from the acceptor, the card, the centre, the flows

Domain errors (:mod:`daemon.errors`) leave here; the local API gives them
their HTTP status.
"""

from daemon.sessions.maintenance import CENTRAL_MAINTENANCE
from daemon.sessions.manager import Sessions
from daemon.sessions.steps import Kind, Step

__all__ = ["CENTRAL_MAINTENANCE", "Kind", "Sessions", "Step"]
