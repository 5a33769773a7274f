"""Keys and issuer administration (central/keys.py, central/admin.py).

A kiosk's previous secret, valid until the end of a rotation's overlap; the scheme
of each payment-password verifier (NULL: the PBKDF2 of before, upgraded when next
proven); the issuer's admin accounts (their tokens as SHA-256; who did what is
``audit_events``). Was the SQLite-only ``user_version`` 5 on the keys branch, which
never reached a release: only v1–v4 files are stamped (central/db.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("kiosks", sa.Column("secret_prev", sa.LargeBinary))
    op.add_column("kiosks", sa.Column("secret_prev_until", sa.BigInteger))
    op.add_column("kiosks", sa.Column("secret_rotated_at", sa.BigInteger))
    op.add_column("cards", sa.Column("pin_kdf", sa.Text))
    op.create_table(
        "admins",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("token_hash", sa.LargeBinary, nullable=False, unique=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger),
    )


def downgrade() -> None:
    op.drop_table("admins")
    with op.batch_alter_table("cards") as cards:
        cards.drop_column("pin_kdf")
    with op.batch_alter_table("kiosks") as kiosks:
        for column in ("secret_rotated_at", "secret_prev_until", "secret_prev"):
            kiosks.drop_column(column)
