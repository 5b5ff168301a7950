"""Fixtures: every store test runs on SQLite, and on PostgreSQL too when
``CX_TELEMETRY_TEST_PG_URL`` is set (each run in its own scratch schema, dropped afterwards)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cx_telemetry import Settings, TelemetryStore
from cx_telemetry.db import make_engine
from cx_telemetry.migrate import upgrade_to_head
from cx_telemetry.models import Base

PG_URL = os.environ.get("CX_TELEMETRY_TEST_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday


def pg_schema_url(schema: str) -> str:
    assert PG_URL
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


class PgScratch:
    """Create and drop scratch schemas on the test server."""

    def __init__(self) -> None:
        assert PG_URL
        self.admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        self.schemas: list[str] = []

    def new(self) -> str:
        schema = f"cxt_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.schemas.append(schema)
        return pg_schema_url(schema)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for schema in self.schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_scratch() -> Iterator[PgScratch | None]:
    if not PG_URL:
        yield None
        return
    scratch = PgScratch()
    yield scratch
    scratch.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_migrated(pg_scratch: PgScratch | None) -> str | None:
    if pg_scratch is None:
        return None
    url = pg_scratch.new()
    engine = make_engine(url)
    upgrade_to_head(engine)
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
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names}"))
    engine.dispose()
    return pg_migrated


@pytest.fixture
def down_url(backend: str, tmp_path: Path) -> str:
    """A URL of the same kind whose database cannot be reached."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'missing-dir' / 'telemetry.sqlite3'}"
    return "postgresql+psycopg://postgres@127.0.0.1:1/test"


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
