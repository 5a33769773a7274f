"""orders.card_seq: the order of a card's orders, for listing them as created.

The SQLite-only builds listed a card's pending loads ``ORDER BY created_at, rowid``;
PostgreSQL has no rowid, and two orders of one card often share their second. Each
new order takes ``1 + MAX(card_seq)`` of its card's orders (central/routes/orders.py);
existing rows are numbered by rowid on SQLite, by creation on PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("card_seq", sa.BigInteger, nullable=False,
                                      server_default=sa.text("0")))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE orders SET card_seq = rowid")
    else:
        op.execute("UPDATE orders SET card_seq = numbered.n FROM (SELECT order_id, "
                   "row_number() OVER (ORDER BY created_at, order_id) AS n FROM orders) "
                   "AS numbered WHERE orders.order_id = numbered.order_id")


def downgrade() -> None:
    op.drop_column("orders", "card_seq")
