"""What the e2e tests share (kept in deploy/sessionkit.py, which the demo and the
reliability benchmarks use too)."""

from deploy.sessionkit import CARD, central_sql, tap, wait_state, wallet_balance

__all__ = ["CARD", "central_sql", "tap", "wait_state", "wallet_balance"]
