"""Alembic environment of the verification tables. ``actions.verification.migrate`` passes a
connection in ``config.attributes``; only these tables are compared and migrated."""

from __future__ import annotations

from typing import Any

from alembic import context

from actions.verification.migrate import VERSION_TABLE
from actions.verification.schema import VerificationBase
from cx_telemetry.migrate import own_tables_only

config = context.config
target_metadata = VerificationBase.metadata


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
    raise SystemExit(
        "run the verification migrations with `python -m actions.verification migrate`"
    )
_run(connection)
