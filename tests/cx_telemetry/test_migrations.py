"""Alembic migrations produce exactly the models' schema, on every backend."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cx_telemetry import Settings, TelemetryStore
from cx_telemetry.db import make_engine
from cx_telemetry.models import Base
from tests.databases import PgScratch


def _fresh_url(backend: str, tmp_path: Path, pg_scratch: PgScratch | None) -> str:
    if backend == "sqlite":
        return (
            f"sqlite:///{tmp_path / 'fresh' / 'telemetry.sqlite3'}"  # directory created by migrate
        )
    assert pg_scratch is not None
    return pg_scratch.new()


def test_upgrade_head_on_an_empty_database_matches_the_models(
    backend: str, tmp_path: Path, pg_scratch: PgScratch | None
) -> None:
    url = _fresh_url(backend, tmp_path, pg_scratch)
    store = TelemetryStore(Settings(url, "k", tmp_path / "key", tmp_path / "outbox"))
    store.migrate()
    store.migrate()  # idempotent
    store.dispose()
    engine = make_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diffs = compare_metadata(ctx, Base.metadata)
        assert diffs == []
        tables = set(inspect(conn).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    engine.dispose()


def test_partial_unique_indexes_exist(
    backend: str, tmp_path: Path, pg_scratch: PgScratch | None
) -> None:
    url = _fresh_url(backend, tmp_path, pg_scratch)
    engine = make_engine(url)
    TelemetryStore(
        Settings(url, "k", tmp_path / "key", tmp_path / "outbox"), engine=engine
    ).migrate()
    with engine.connect() as conn:
        names = {ix["name"] for ix in inspect(conn).get_indexes("conversations")}
        names |= {ix["name"] for ix in inspect(conn).get_indexes("handoffs")}
    assert {"uq_conversations_open_customer", "uq_handoffs_open_conversation"} <= names
    engine.dispose()


def test_migrations_run_from_any_working_directory(tmp_path: Path, monkeypatch: object) -> None:
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        store = TelemetryStore(
            Settings("sqlite:///elsewhere/t.sqlite3", "k", tmp_path / "key", tmp_path / "outbox")
        )
        store.migrate()
        store.dispose()
        assert (tmp_path / "elsewhere" / "t.sqlite3").exists()
    finally:
        os.chdir(cwd)


def test_conversations_from_before_customer_keys_keep_their_chats_key(
    backend: str, tmp_path: Path, pg_scratch: PgScratch | None
) -> None:
    from alembic import command
    from sqlalchemy import select, text

    from cx_telemetry.migrate import alembic_config, upgrade_to_head
    from cx_telemetry.models import Conversation

    url = _fresh_url(backend, tmp_path, pg_scratch)
    (tmp_path / "fresh").mkdir()
    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003_handoff_contact_email")
        conn.execute(
            text(
                "INSERT INTO conversations (id, channel, customer, opened_at, intents_seen,"
                " support_intents, fallback_count, customer_turns, bot_turns, agent_turns,"
                " has_handoff, survey_started, synthetic) VALUES ('c1', 'telegram', 'p1',"
                " '2026-11-30 10:00:00', '[]', '[]', 0, 1, 1, 0, false, false, false)"
            )
        )
    upgrade_to_head(engine)
    with engine.connect() as conn:
        row = conn.execute(
            select(
                Conversation.customer_key,
                Conversation.order_keys,
                Conversation.recontacted,
                Conversation.verified_at,
            )
        ).one()
    assert tuple(row) == ("p1", [], False, None)
    engine.dispose()
