"""Alembic environment of the central database.

Run only through :func:`central.db.migrate` (``citycard-central`` does), which
hands over an open connection inside its transaction as
``config.attributes["connection"]``: no ``alembic.ini``, no URL here.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the central migrations through central.db.migrate "
                       "(citycard-central), which passes the connection")
context.configure(connection=connection, target_metadata=None,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
