"""Fixtures: every store test runs on SQLite, and on PostgreSQL too when
``CX_TELEMETRY_TEST_PG_URL`` is set (each run in its own scratch schema, dropped afterwards)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from actions.verification.migrate import upgrade_to_head as upgrade_verification
from actions.verification.schema import VerificationBase
from bot.state.migrate import upgrade_to_head as upgrade_gateway
from bot.state.schema import GatewayBase
from cx_telemetry import Settings, TelemetryStore
from cx_telemetry.db import make_engine
from cx_telemetry.migrate import upgrade_to_head
from cx_telemetry.models import Base
from tests.databases import BACKENDS, DOWN_PG_URL, PgScratch

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    upgrade_gateway(engine)  # the product's one database also holds the gateway's tables
    upgrade_verification(engine)  # and the action server's
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_migrated(pg_scratch: PgScratch | None) -> str | None:
    if pg_scratch is None:
        return None
    url = pg_scratch.new()
    engine = make_engine(url)
    upgrade_to_head(engine)
    upgrade_gateway(engine)
    upgrade_verification(engine)
    engine.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, sqlite_template: Path, pg_migrated: str | None) -> str:
    """A migrated, empty database for one test."""
    if backend == "sqlite":
        path = tmp_path / "db" / "telemetry.sqlite3"
        path.parent.mkdir()
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    assert pg_migrated
    engine = create_engine(pg_migrated)
    with engine.begin() as conn:
        tables = [
            *Base.metadata.sorted_tables,
            *GatewayBase.metadata.sorted_tables,
            *VerificationBase.metadata.sorted_tables,
        ]
        names = ", ".join(t.name for t in tables)
        conn.execute(text(f"TRUNCATE {names}"))
    engine.dispose()
    return pg_migrated


@pytest.fixture
def down_url(backend: str, tmp_path: Path) -> str:
    """A URL of the same kind whose database cannot be reached."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'missing-dir' / 'telemetry.sqlite3'}"
    return DOWN_PG_URL


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        db_url=db_url,
        pseudonym_key="test-pseudonym-key",
        pseudonym_key_file=tmp_path / "pseudonym.key",
        outbox_dir=tmp_path / "outbox",
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[TelemetryStore]:
    s = TelemetryStore.from_settings(settings)
    yield s
    s.dispose()
