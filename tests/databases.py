"""Real database servers for the tests: SQLite files always, and PostgreSQL too when
``CX_TELEMETRY_TEST_PG_URL`` is set (``.ci/run`` sets it), each run in scratch schemas that are
dropped afterwards."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("CX_TELEMETRY_TEST_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
DOWN_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:1/test"  # nothing listens on port 1


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
