"""Alembic environment of the gateway's tables. ``bot.state.migrate`` passes a connection in
``config.attributes``; only the gateway's own tables are compared and migrated."""

from __future__ import annotations

from typing import Any

from alembic import context

from bot.state.migrate import VERSION_TABLE
from bot.state.schema import GatewayBase
from cx_telemetry.migrate import own_tables_only

config = context.config
target_metadata = GatewayBase.metadata


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_object=own_tables_only,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit("run the gateway's migrations with `python -m bot migrate`")
_run(connection)
