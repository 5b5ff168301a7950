"""The verification database: a lazy engine, one transaction per call, and
``VerificationUnavailable`` on an outage (never deferred: a customer proving who they are waits
for an answer)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from actions.verification.errors import VerificationUnavailable
from cx_telemetry.db import make_engine, outages_raise, unavailable_message

T = TypeVar("T")
_NAMED = ("verification database", "run `python -m actions.verification migrate`")


class VerificationDatabase:
    """Construction does no I/O; the first call connects. Several action servers may share
    one database: every rule that must hold across them is enforced in SQL."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self._engine = engine
        self._sessions: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def run(self, fn: Callable[[Session], T]) -> T:
        """``fn`` in one read-write transaction."""
        if self._sessions is None:
            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        with self._outages(), self._sessions.begin() as session:
            return fn(session)

    def migrate(self) -> None:
        """Bring the verification tables to the newest revision (idempotent)."""
        from actions.verification.migrate import upgrade_to_head  # alembic is slow to import

        try:
            upgrade_to_head(self.engine)
        except SQLAlchemyError as err:
            raise VerificationUnavailable(unavailable_message(self.url, err, *_NAMED)) from err

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def _outages(self) -> AbstractContextManager[None]:
        return outages_raise(VerificationUnavailable, self.url, *_NAMED)
