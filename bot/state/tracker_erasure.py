"""The engine's conversation trackers in ``cx-telemetry forget`` and ``purge``.

Rasa's ``SQLTrackerStore`` (``TRACKER_STORE_URL``, ``endpoints.yml``) keeps every event of every
conversation in one table, ``events``: what the customer typed, the slots (a verified customer's
first name, their orders), the handoff requests. A tracker's key is the engine's ``sender_id``
(``contract.sender_id``: ``telegram:42``, ``slack:D1:U1``), the same raw id telemetry
pseudonymises, so a subject known only by pseudonyms (``forget --customer shop:C1001``) is found
by pseudonymising each distinct ``sender_id``.

The gateway's erasure target runs this one (no entry point of its own). No tracker store
configured, a SQLite file that does not exist or a database without ``events`` (another tracker
store) count 0; a database that cannot be reached raises ``StoreUnavailable``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy import Column, Float, MetaData, String, Table, create_engine, delete, func, inspect
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from cx_telemetry import StoreUnavailable
from cx_telemetry.db import unavailable_message
from cx_telemetry.erasure import ErasureSubject, chunks
from cx_telemetry.privacy import load_or_create_key, pseudonym
from cx_telemetry.settings import Settings as TelemetrySettings

KEY = "tracker_events"
WHAT = "tracker store"
FIX = "check TRACKER_STORE_URL"

# Rasa's ``events`` table, only the columns erasure reads (the others are left alone)
_events = Table(
    "events",
    MetaData(),
    Column("sender_id", String(255)),
    Column("timestamp", Float),
)


def tracker_erasure(env: Mapping[str, str]) -> TrackerErasure:
    """The tracker store named by ``TRACKER_STORE_URL``, with telemetry's pseudonym key."""
    settings = TelemetrySettings.from_env(env)

    def key() -> bytes:
        raw = settings.pseudonym_key
        return raw.encode() if raw else load_or_create_key(settings.pseudonym_key_file)

    return TrackerErasure(env.get("TRACKER_STORE_URL") or None, key)


class TrackerErasure:
    """Deletes trackers (every row of ``events`` of a ``sender_id``) from Rasa's SQL store."""

    def __init__(self, url: str | None, key: Callable[[], bytes]) -> None:
        self.url = url
        self._key = key

    def forget(self, subject: ErasureSubject) -> dict[str, int]:
        """Every event of the subject's chats: raw ids, or ids whose pseudonym is the subject's."""
        raw = set(subject.customer_ids)
        wanted = set(subject.pseudonyms)

        def run(conn: Connection) -> int:
            senders = set(raw)
            if wanted:
                key = self._key()
                every = conn.scalars(sa_select(_events.c.sender_id).distinct())
                senders |= {s for s in every if s is not None and pseudonym(key, s) in wanted}
            removed = 0
            for chunk in chunks(sorted(senders)):
                result = conn.execute(delete(_events).where(_events.c.sender_id.in_(chunk)))
                removed += int(result.rowcount or 0)
            return removed

        return {KEY: self._run(run)}

    def purge(self, cutoff: datetime) -> dict[str, int]:
        """Whole trackers whose newest event is older than ``cutoff``: a conversation still
        going is never cut in half."""
        idle = (
            sa_select(_events.c.sender_id)
            .group_by(_events.c.sender_id)
            .having(func.max(_events.c.timestamp) < cutoff.timestamp())
        )

        def run(conn: Connection) -> int:
            result = conn.execute(delete(_events).where(_events.c.sender_id.in_(idle)))
            return int(result.rowcount or 0)

        return {KEY: self._run(run)}

    def _run(self, fn: Callable[[Connection], int]) -> int:
        if not self.url:
            return 0
        text = self.url
        for prefix in ("postgres://", "postgresql://"):  # Rasa's psycopg2 URL; ours is psycopg 3
            if text.startswith(prefix):
                text = "postgresql+psycopg://" + text[len(prefix) :]
        try:
            url = make_url(text)
        except ArgumentError as err:
            raise StoreUnavailable(f"{WHAT} URL cannot be read ({FIX})") from err
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:":
                return 0  # nothing outlives the engine's process
            if not Path(url.database).exists():
                return 0  # the engine never wrote a tracker here
        try:
            engine = create_engine(url)
        except (ArgumentError, ImportError) as err:  # e.g. a driver this venv does not have
            raise StoreUnavailable(unavailable_message(url, err, WHAT, FIX)) from err
        try:
            with engine.begin() as conn:
                if not inspect(conn).has_table("events"):
                    return 0  # another kind of tracker store, or one not used yet
                return fn(conn)
        except SQLAlchemyError as err:  # down, locked, or not Rasa's table: one line on the CLI
            raise StoreUnavailable(unavailable_message(url, err, WHAT, FIX)) from err
        finally:
            engine.dispose()
