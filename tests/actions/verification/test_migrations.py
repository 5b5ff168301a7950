"""The verification history produces exactly its models' schema and shares a database with the
telemetry and gateway histories without touching their tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from actions.verification.database import VerificationDatabase
from actions.verification.migrate import VERSION_TABLE
from actions.verification.schema import VerificationBase
from bot.state.database import GatewayDatabase
from cx_telemetry import Settings, TelemetryStore
from cx_telemetry.migrate import own_tables_only
from tests.databases import BACKENDS, PgScratch


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path, pg_scratch: PgScratch | None) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    assert pg_scratch is not None
    return pg_scratch.new()


def _diffs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": own_tables_only,
            },
        )
        return list(compare_metadata(ctx, VerificationBase.metadata))


def test_upgrade_head_on_an_empty_database_matches_the_models(fresh_url: str) -> None:
    db = VerificationDatabase(fresh_url)
    db.migrate()
    db.migrate()  # idempotent
    assert _diffs(db.engine) == []
    assert set(inspect(db.engine).get_table_names()) == set(VerificationBase.metadata.tables) | {
        VERSION_TABLE
    }
    db.dispose()


def test_three_histories_share_one_database(fresh_url: str, tmp_path: Path) -> None:
    telemetry = TelemetryStore(Settings(fresh_url, "k", tmp_path / "key", tmp_path / "outbox"))
    db = VerificationDatabase(fresh_url)
    db.migrate()
    telemetry.migrate()
    GatewayDatabase(fresh_url).migrate()
    db.migrate()
    names = set(inspect(db.engine).get_table_names())
    assert {"conversations", "handoff_cases", "verified_chats", VERSION_TABLE} <= names
    assert _diffs(db.engine) == []
    telemetry.dispose()
    db.dispose()
