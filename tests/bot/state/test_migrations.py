"""The gateway's alembic history produces exactly its models' schema, shares a database with
the telemetry history without touching it, and adopts the tables older telemetry revisions
created."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from bot.state.database import GatewayDatabase
from bot.state.migrate import VERSION_TABLE
from bot.state.schema import GatewayBase
from cx_telemetry import Settings, TelemetryStore
from cx_telemetry.migrate import own_tables_only
from cx_telemetry.models import Base

GATEWAY_TABLES = set(GatewayBase.metadata.tables)


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
        return list(compare_metadata(ctx, GatewayBase.metadata))


def test_upgrade_head_on_an_empty_database_matches_the_models(state_url: str) -> None:
    db = GatewayDatabase(state_url)
    db.migrate()
    db.migrate()  # idempotent
    assert _diffs(db.engine) == []
    assert set(inspect(db.engine).get_table_names()) == GATEWAY_TABLES | {VERSION_TABLE}
    db.dispose()


def test_both_histories_share_one_database(state_url: str, tmp_path: Any) -> None:
    telemetry = TelemetryStore(Settings(state_url, "k", tmp_path / "key", tmp_path / "outbox"))
    db = GatewayDatabase(state_url)
    db.migrate()
    telemetry.migrate()
    db.migrate()
    tables = set(inspect(db.engine).get_table_names())
    assert tables == GATEWAY_TABLES | set(Base.metadata.tables) | {"alembic_version", VERSION_TABLE}
    assert _diffs(db.engine) == []
    telemetry.dispose()
    db.dispose()


def test_tables_made_by_older_telemetry_revisions_are_adopted_with_their_rows(
    state_url: str,
) -> None:
    db = GatewayDatabase(state_url)
    GatewayBase.metadata.create_all(db.engine)  # as telemetry revisions 0001-0002 left them:
    with db.engine.begin() as conn:  # no contact_email yet, and a case waiting
        conn.execute(text("ALTER TABLE handoff_cases DROP COLUMN contact_email"))
        conn.execute(text("ALTER TABLE handoff_cases DROP COLUMN no_survey"))  # g0006's
        conn.execute(
            text(
                "INSERT INTO handoff_cases (handoff_id, sender_id, channel, address, intents,"
                " transcript, status, requested_at, follow_up_offered)"
                " VALUES ('h1', 'telegram:1', 'telegram', '{}', '[]', '[]', 'waiting',"
                " '2026-11-30 10:00:00', false)"
            )
        )
    db.migrate()
    assert _diffs(db.engine) == []
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT handoff_id FROM handoff_cases")).scalar() == "h1"
        no_survey = conn.execute(text("SELECT no_survey FROM handoff_cases")).scalar()
        assert no_survey in (False, 0)
    db.dispose()
