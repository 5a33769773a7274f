"""What the e2e tests share (kept in deploy/sessionkit.py, which the demo and the
reliability benchmarks use too)."""

from deploy.sessionkit import CARD, central_sql, tap, wait_state, wallet_balance

__all__ = ["CARD", "QUICK_NOTES", "central_sql", "tap", "wait_state", "wallet_balance"]

# Fewer pulses per note than the default table (1 pulse a yuan), so that ¥100
# notes go in quickly; the notes and their values are the same.
QUICK_NOTES = ('\n[cash]\npulse_table = { "1" = 100, "2" = 500, "3" = 1000, "4" = 2000,'
               ' "5" = 5000, "6" = 10000 }\n')
