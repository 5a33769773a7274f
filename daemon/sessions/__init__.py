"""Cardholder money sessions: top-up with cash, bill payment, finishing a pending load.

:class:`Sessions` is what the local API and the card flow talk to; the steps
and the one table of moves between them are in :mod:`daemon.sessions.steps`.
"""

from daemon.sessions.manager import CENTRAL_MAINTENANCE, Sessions
from daemon.sessions.steps import Kind, Step

__all__ = ["CENTRAL_MAINTENANCE", "Kind", "Sessions", "Step"]
