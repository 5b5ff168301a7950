"""The machinery under ``TelemetryStore``: lazy engine, pseudonym key, and the write path.

A telemetry write is applied at once in one transaction; when the database cannot be reached
it goes to the outbox instead, and the outbox is replayed (oldest first, each event exactly
once) at the next successful write or by ``cx-telemetry replay``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from contract import utcnow
from cx_telemetry import events
from cx_telemetry.db import (
    dialect_insert,
    is_unavailable,
    make_engine,
    outages_raise,
    unavailable_message,
)
from cx_telemetry.errors import StoreUnavailable
from cx_telemetry.models import AppliedEvent
from cx_telemetry.outbox import Outbox
from cx_telemetry.privacy import load_or_create_key, pseudonym
from cx_telemetry.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

# After an outage is seen, writes go straight to the outbox for this long instead of making
# every caller wait for a connection attempt.
RETRY_AFTER_S = 5.0
# How often a healthy writer looks for events left in the outbox by an earlier run; events this
# process outboxes itself are known without looking.
OUTBOX_RESCAN_S = 30.0


def iso(at: datetime | None) -> str:
    """``at`` (None = now; naive = UTC) as an ISO 8601 UTC string for an event."""
    at = at or utcnow()
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat()


@dataclass(frozen=True)
class ReplayResult:
    """What one outbox replay did: events applied, still waiting, and moved to ``dead/``."""

    applied: int
    pending: int
    dead: int


class StoreCore:
    """Connection, pseudonyms, migrations and the write path (apply now or outbox, replay).
    Construction does no I/O; the first call connects."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.outbox = Outbox(settings.outbox_dir)
        self._engine = engine
        self._sessions: sessionmaker[Session] | None = None
        self._key: bytes | None = None
        self._down_until = 0.0
        self._pending = False  # this process knows events wait in the outbox
        self._scanned_at = -OUTBOX_RESCAN_S  # forces a scan on the first write

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.db_url)
        return self._engine

    def _session(self) -> sessionmaker[Session]:
        if self._sessions is None:
            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions

    def dispose(self) -> None:
        """Close pooled connections."""
        if self._engine is not None:
            self._engine.dispose()

    def pseudonym(self, customer_id: str) -> str:
        """The HMAC-SHA256 pseudonym stored for a raw customer id such as ``telegram:42``."""
        if self._key is None:
            key = self.settings.pseudonym_key
            self._key = (
                key.encode() if key else load_or_create_key(self.settings.pseudonym_key_file)
            )
        return pseudonym(self._key, customer_id)

    def migrate(self) -> None:
        """``alembic upgrade head`` (idempotent)."""
        from cx_telemetry.migrate import upgrade_to_head  # alembic is slow to import

        try:
            upgrade_to_head(self.engine)
        except SQLAlchemyError as err:
            raise StoreUnavailable(self._why(err)) from err

    def _why(self, err: SQLAlchemyError) -> str:
        return unavailable_message(self.settings.db_url, err)

    def run(self, fn: Callable[[Session], T]) -> T:
        """Readers and administration: one transaction, ``StoreUnavailable`` on an outage
        (unlike telemetry writes, which go to the outbox)."""
        with outages_raise(StoreUnavailable, self.settings.db_url), self._session().begin() as s:
            return fn(s)

    def read(self, fn: Callable[[Session], T]) -> T:
        """A read-only transaction, ``StoreUnavailable`` on an outage. On SQLite a plain
        ``BEGIN``: WAL readers never wait for the writer's ``BEGIN IMMEDIATE``."""
        with (
            outages_raise(StoreUnavailable, self.settings.db_url),
            self.engine.connect().execution_options(readonly=True) as conn,
            Session(bind=conn) as session,
        ):
            return fn(session)

    def write_event(self, op: str, args: dict[str, Any], fallback: Any = None) -> Any:
        """Apply a telemetry event now, or keep it in the outbox when the database is down.
        Events queue behind older outboxed ones so they land in the order they happened."""
        if time.monotonic() < self._down_until:
            self._defer(op, args)
            return fallback
        if self._outbox_pending():
            self._defer(op, args)
            self.replay()
            return fallback
        try:
            with self._session().begin() as s:
                return events.apply(s, op, dict(args, reuse=True))
        except SQLAlchemyError as err:
            if not is_unavailable(err):
                log.exception("telemetry event %s refused by the database; kept in outbox/dead", op)
                self.outbox.add(op, args, dead=True)
                return fallback
            self._down_until = time.monotonic() + RETRY_AFTER_S
            log.warning("telemetry write deferred to outbox: %s", self._why(err))
            self._defer(op, args)
            return fallback

    def _defer(self, op: str, args: dict[str, Any]) -> None:
        self.outbox.add(op, args)
        self._pending = True

    def _outbox_pending(self) -> bool:
        now = time.monotonic()
        if self._pending or now - self._scanned_at >= OUTBOX_RESCAN_S:
            self._pending, self._scanned_at = self.outbox.has_pending(), now
        return self._pending

    def replay(self) -> ReplayResult:
        """Apply outboxed events oldest first, each exactly once (its id is recorded in the same
        transaction); stop at the first outage. Returns counts of applied/pending/dead."""
        applied = 0
        dead_before = self.outbox.dead_count()
        with self.outbox.replay_lock() as mine:
            if mine:
                for entry in self.outbox.entries():
                    try:
                        with self._session().begin() as s:
                            ins = dialect_insert(AppliedEvent.__table__, s.get_bind().dialect.name)  # type: ignore[arg-type]
                            first_time = s.execute(
                                ins.values(event_id=entry.event_id, applied_at=utcnow())
                                .on_conflict_do_nothing()
                                .returning(AppliedEvent.event_id)
                            ).first()
                            if first_time is not None:
                                events.apply(s, entry.op, dict(entry.args, reuse=False))
                    except SQLAlchemyError as err:
                        if is_unavailable(err):
                            self._down_until = time.monotonic() + RETRY_AFTER_S
                            break
                        log.exception("outbox event %s refused; moved to dead/", entry.path.name)
                        self.outbox.bury(entry.path)
                        continue
                    except (KeyError, ValueError, TypeError):
                        log.exception("outbox event %s malformed; moved to dead/", entry.path.name)
                        self.outbox.bury(entry.path)
                        continue
                    self.outbox.done(entry)
                    applied += 1
                else:
                    self._down_until = 0.0
        pending = self.outbox.pending_count()
        self._pending, self._scanned_at = pending > 0, time.monotonic()
        return ReplayResult(applied, pending, self.outbox.dead_count() - dead_before)
