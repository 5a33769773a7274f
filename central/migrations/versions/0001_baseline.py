"""Baseline: the central schema as the SQLite-only builds left it (their ``user_version`` 4).

Dialect-neutral: ``BIGINT`` (``INTEGER`` on SQLite, so ``id`` stays the rowid) for
serial ids and Unix times, ``BYTEA``/``BLOB`` for secrets and PIN hashes, flags as
integers 0/1 as before. A SQLite database written by those builds is recognised at
``user_version`` 4 and stamped with this revision rather than created
(:func:`central.db.migrate`).

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: serial ids: BIGSERIAL on PostgreSQL; INTEGER PRIMARY KEY (the rowid) on SQLite
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: Unix seconds (past 2038) and running totals
_BIG = sa.BigInteger()


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", _ID, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "kiosks",
        sa.Column("kiosk_id", sa.Text, primary_key=True),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column("created_at", _BIG, nullable=False),
        sa.Column("last_seen_at", _BIG),
        sa.Column("last_status", sa.Text))
    op.create_table(
        "nonces",
        sa.Column("kiosk_id", sa.Text, primary_key=True),
        sa.Column("nonce", sa.Text, primary_key=True),
        sa.Column("seen_at", _BIG, nullable=False),
        sqlite_with_rowid=False)
    op.create_index("nonces_seen", "nonces", ["seen_at"])
    op.create_table(
        "cards",
        sa.Column("card_no", sa.Text, primary_key=True),
        sa.Column("aid", sa.Text, nullable=False),
        sa.Column("card_type", sa.Text, nullable=False),
        sa.Column("holder_name", sa.Text, nullable=False),
        sa.Column("id_last6", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Text, nullable=False),
        sa.Column("valid_until", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("points", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("pin_hash", sa.LargeBinary),
        sa.Column("pin_salt", sa.LargeBinary),
        sa.Column("lost_at", _BIG),
        sa.Column("loss_report_no", sa.Text),
        sa.Column("blacklist_reason", sa.Text),
        sa.Column("owed_fen", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint("status IN ('active','lost','blacklisted','expired')",
                           name="cards_status"),
        sa.CheckConstraint("points >= 0", name="cards_points"),
        sa.CheckConstraint("owed_fen >= 0", name="cards_owed"))
    op.create_table(
        "transactions",
        _id(),
        sa.Column("card_no", sa.Text, nullable=False),
        sa.Column("occurred_at", _BIG, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.Integer, nullable=False),
        sa.Column("balance_after_fen", sa.Integer),
        sa.Column("fare_fen", sa.Integer),
        sa.Column("ride_discount_fen", sa.Integer),
        sa.Column("transfer_discount_fen", sa.Integer),
        sa.Column("mode", sa.Text),
        sa.Column("line", sa.Text),
        sa.Column("station", sa.Text),
        sa.Column("merchant", sa.Text),
        sa.Column("points_delta", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("terminal_id", sa.Text),
        sa.Column("order_id", sa.Text))
    op.create_index("transactions_card_time", "transactions",
                    ["card_no", sa.text("occurred_at DESC"), sa.text("id DESC")])
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("card_no", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.Integer, nullable=False),
        sa.Column("terminal_id", sa.Text, nullable=False),
        sa.Column("kiosk_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", _BIG, nullable=False),
        sa.Column("updated_at", _BIG, nullable=False),
        sa.Column("bill_id", sa.Text),
        sa.Column("points_used", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("balance_before_fen", sa.Integer),
        sa.Column("counter", sa.Integer),
        sa.Column("card_random", sa.Text),
        sa.Column("host_date", sa.Text),
        sa.Column("host_time", sa.Text),
        sa.Column("terminal_seq", sa.Integer),
        sa.Column("mac2", sa.Text),
        sa.Column("tac", sa.Text),
        sa.Column("confirmed_by", sa.Text),
        sa.CheckConstraint("kind IN ('load','purchase')", name="orders_kind"),
        sa.CheckConstraint("amount_fen > 0", name="orders_amount"))
    op.create_index("orders_card", "orders", ["card_no", "status"])
    op.create_table(
        "idempotency",
        sa.Column("kiosk_id", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", _BIG, nullable=False),
        sqlite_with_rowid=False)
    op.create_table(
        "bills",
        sa.Column("bill_id", sa.Text, primary_key=True),
        sa.Column("utility", sa.Text, nullable=False),
        sa.Column("account_no", sa.Text, nullable=False),
        sa.Column("payee", sa.Text, nullable=False),
        sa.Column("payee_zh", sa.Text, nullable=False),
        sa.Column("holder_name", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("amount_due_fen", sa.Integer, nullable=False),
        sa.Column("due_date", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("paid_at", _BIG),
        sa.Column("paid_order_id", sa.Text),
        sa.CheckConstraint("utility IN ('water','electricity','gas')", name="bills_utility"),
        sa.CheckConstraint("amount_due_fen > 0", name="bills_amount"),
        sa.CheckConstraint("status IN ('unpaid','paid')", name="bills_status"))
    op.create_index("bills_account", "bills", ["utility", "account_no", "status"])
    op.create_table(
        "notices",
        sa.Column("notice_id", _ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_zh", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_zh", sa.Text, nullable=False),
        sa.Column("starts_at", _BIG, nullable=False),
        sa.Column("ends_at", _BIG, nullable=False),
        sa.CheckConstraint("kind IN ('announcement','maintenance')", name="notices_kind"))
    op.create_table(
        "feedback",
        sa.Column("ticket_no", sa.Text, primary_key=True),
        sa.Column("kiosk_id", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("phone", sa.Text),
        sa.Column("card_no", sa.Text),
        sa.Column("created_at", _BIG, nullable=False))
    op.create_table(
        "kiosk_events",
        sa.Column("kiosk_id", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("received_at", _BIG, nullable=False),
        sqlite_with_rowid=False)
    op.create_table(
        "counters",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", _BIG, nullable=False))
    # v2: wrong answers to a card's secrets
    op.create_table(
        "secret_tries",
        sa.Column("card_no", sa.Text, primary_key=True),
        sa.Column("secret", sa.Text, primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", _BIG),
        sa.CheckConstraint("secret IN ('pin','identity')", name="secret_tries_secret"),
        sa.CheckConstraint("failures >= 0", name="secret_tries_failures"),
        sqlite_with_rowid=False)
    # v3: risk monitoring
    op.create_table(
        "risk_events",
        _id(),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("card_no", sa.Text, nullable=False),
        sa.Column("kiosk_id", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("at", _BIG, nullable=False))
    op.create_index("risk_events_card", "risk_events", ["card_no", "kind", "at"])
    op.create_index("risk_events_at", "risk_events", ["at"])
    op.create_table(
        "alerts",
        _id(),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("subject_kind", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("kiosk_id", sa.Text, nullable=False),
        sa.Column("first_at", _BIG, nullable=False),
        sa.Column("last_at", _BIG, nullable=False),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("card_blacklisted", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("acknowledged_at", _BIG),
        sa.CheckConstraint("severity IN ('medium','high')", name="alerts_severity"),
        sa.CheckConstraint("subject_kind IN ('card','kiosk')", name="alerts_subject_kind"),
        sa.CheckConstraint("hits >= 1", name="alerts_hits"))
    op.create_index("alerts_rule_subject", "alerts", ["rule", "subject", "last_at"])
    op.create_table(
        "audit_events",
        _id(),
        sa.Column("at", _BIG, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False))
    # v4: the loss-report lifecycle, card audit events, disputes
    op.create_table(
        "replacements",
        sa.Column("old_card_no", sa.Text, primary_key=True),
        sa.Column("new_card_no", sa.Text, nullable=False, unique=True),
        sa.Column("recorded_at", _BIG, nullable=False),
        sa.Column("confirmed_balance_fen", sa.Integer, nullable=False),
        sa.Column("confirmed_tx_id", _BIG, nullable=False),
        sa.Column("transferred_fen", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint("confirmed_balance_fen >= 0", name="replacements_balance"),
        sa.CheckConstraint("transferred_fen >= 0", name="replacements_transferred"))
    op.create_table(
        "card_events",
        _id(),
        sa.Column("card_no", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("occurred_at", _BIG, nullable=False),
        sa.Column("detail", sa.Text, nullable=False))
    op.create_index("card_events_card", "card_events", ["card_no", "occurred_at"])
    op.create_table(
        "disputes",
        sa.Column("ticket_no", sa.Text, primary_key=True),
        sa.Column("card_no", sa.Text, nullable=False),
        sa.Column("transaction_id", _BIG, nullable=False, unique=True),
        sa.Column("kiosk_id", sa.Text, nullable=False),
        sa.Column("loss_report_no", sa.Text),
        sa.Column("created_at", _BIG, nullable=False))


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone; restore a backup instead")
