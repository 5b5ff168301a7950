"""Alembic environment. ``cx_telemetry.migrate`` passes a connection in ``config.attributes``;
run by hand (``alembic -c ...``), it connects to ``CX_TELEMETRY_DB_URL``."""

from __future__ import annotations

from typing import Any

from alembic import context

from cx_telemetry.db import make_engine
from cx_telemetry.migrate import own_tables_only
from cx_telemetry.models import Base
from cx_telemetry.settings import Settings

config = context.config
target_metadata = Base.metadata


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=own_tables_only,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(Settings.from_env().db_url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=Settings.from_env().db_url, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
