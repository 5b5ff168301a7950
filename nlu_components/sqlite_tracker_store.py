"""Rasa's SQL tracker store with cheap commits on a SQLite file (``endpoints.yml``'s type).

Rasa's ``SQLTrackerStore`` on a SQLite file uses SQLite's default rollback journal and
SQLAlchemy 1.4's ``NullPool``: every save opens a connection, writes and deletes a journal file
and syncs the database and the journal to disk several times (~22 ms per turn, on the engine's
event loop). This store is the same class with, for a SQLite file only:

- ``PRAGMA journal_mode=WAL`` and ``PRAGMA synchronous=NORMAL`` on every connection: a commit
  appends to the write-ahead log without a sync. A committed tracker is in the operating system's
  cache the moment ``save`` returns, so an engine crash or restart loses nothing; only a power
  loss or kernel crash may lose the last turns (the database is never corrupted).
- a pool that keeps its connection open (``QueuePool``, as SQLAlchemy 2.0 does for a file): the
  last connection to close would checkpoint the log into the database and delete it.

Any other database (``TRACKER_STORE_URL=postgresql://...``) is served by Rasa's own code
unchanged. ``CX_ENGINE_FAST_PATHS=0`` (``nlu_components/serving.py``'s switch) keeps Rasa's
rollback journal and pool. Rasa builds the tracker store before it loads the model, so this is
a tracker store type of its own rather than something the classifier installs.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.orm import sessionmaker

from nlu_components.serving import SWITCH


def _write_ahead_log(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def is_sqlite_file(url: sa.engine.URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def enabled() -> bool:
    return os.environ.get(SWITCH, "1").strip() != "0"


class WriteAheadSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose SQLite file is in WAL mode with ``synchronous=NORMAL``."""

    engine: sa.engine.Engine
    sessionmaker: sessionmaker[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not (enabled() and is_sqlite_file(self.engine.url)):
            return
        # Rasa has created the tables with its own engine; the store's sessions use this one.
        rasa_engine, url = self.engine, self.engine.url
        self.engine = sa.create_engine(
            url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False}
        )
        sa.event.listen(self.engine, "connect", _write_ahead_log)
        rasa_engine.dispose()
        with self.engine.connect():
            pass  # the file is in WAL mode from now on, before the first conversation
        self.sessionmaker = sessionmaker(bind=self.engine)
