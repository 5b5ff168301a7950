"""Alembic environment of the gateway's tables. ``bot.state.migrate`` passes a connection in
``config.attributes``; only the gateway's own tables are compared and migrated."""

from __future__ import annotations

from typing import Any

from alembic import context

from bot.state.migrate import VERSION_TABLE
from bot.state.schema import GatewayBase

config = context.config
target_metadata = GatewayBase.metadata


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Tables of other histories (telemetry) in the same database are not ours to touch."""
    return not (type_ == "table" and reflected and compare_to is None)


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_object=_ours,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit("run the gateway's migrations with `python -m bot migrate`")
_run(connection)
