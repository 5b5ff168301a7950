"""The gateway's database: a lazy engine, one transaction per call, ``StateUnavailable`` on an
outage, and read-only transactions that do not queue behind writers."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import StateUnavailable
from cx_telemetry.db import make_engine, outages_raise, unavailable_message

T = TypeVar("T")


class GatewayDatabase:
    """Construction does no I/O; the first call connects."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self._engine = engine
        self._sessions: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def run(self, fn: Callable[[Session], T]) -> T:
        """``fn`` in one read-write transaction."""
        if self._sessions is None:
            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        with self._outages(), self._sessions.begin() as session:
            return fn(session)

    def read(self, fn: Callable[[Session], T]) -> T:
        """``fn`` in a read-only transaction: on SQLite a plain ``BEGIN`` (WAL readers never
        wait for the writer) instead of the ``BEGIN IMMEDIATE`` of writes, so the per-message
        "is a person on this chat?" lookup does not queue behind writes."""
        with (
            self._outages(),
            self.engine.connect().execution_options(readonly=True) as conn,
            Session(bind=conn) as session,
        ):
            return fn(session)

    def migrate(self) -> None:
        """Bring the gateway's tables to the newest revision (idempotent)."""
        from bot.state.migrate import upgrade_to_head  # alembic is slow to import

        try:
            upgrade_to_head(self.engine)
        except SQLAlchemyError as err:
            raise StateUnavailable(self._why(err)) from err

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def _outages(self) -> AbstractContextManager[None]:
        return outages_raise(StateUnavailable, self.url, *_NAMED)

    def _why(self, err: SQLAlchemyError) -> str:
        return unavailable_message(self.url, err, *_NAMED)


_NAMED = ("gateway database", "run `python -m bot migrate`")
