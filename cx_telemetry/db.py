"""Engine construction and dialect helpers (SQLite WAL + busy timeout, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, Table, create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_MS = 5000
PG_CONNECT_TIMEOUT_S = 3
SQLITE_CACHE_KIB = 65536  # page cache per connection; the default 2 MiB thrashes on big tables


def safe_url(url: str | URL) -> str:
    """The URL as text with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str | URL) -> Path | None:
    """The database file of a file-backed SQLite URL, else None."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``; does not connect. SQLite connections get WAL, a 5 s busy timeout
    and ``BEGIN IMMEDIATE`` for writes (readers opt out with ``execution_options(readonly=True)``)
    so two processes never deadlock upgrading a read lock."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        engine = create_engine(u, **kwargs)
        _configure_sqlite(engine)
        return engine
    connect_args = kwargs.pop("connect_args", {})
    if u.get_backend_name() == "postgresql":
        connect_args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    return create_engine(u, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def dialect_insert(table: Table, dialect_name: str) -> Any:
    """``INSERT`` with ``on_conflict_do_nothing/do_update`` for the engine's dialect."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    if dialect_name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database dialect: {dialect_name}")


def is_unavailable(err: BaseException) -> bool:
    """True when ``err`` means the database cannot be reached (down, missing, locked), as
    opposed to a bad statement or bad data."""
    if isinstance(err, exc.DBAPIError) and err.connection_invalidated:
        return True
    if isinstance(err, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)):
        return True
    return isinstance(err, exc.DisconnectionError)


@contextmanager
def outages_raise(
    error: Callable[[str], Exception],
    url: str | URL,
    what: str = "telemetry database",
    fix: str = "run `cx-telemetry migrate`",
) -> Iterator[None]:
    """Inside: a database that cannot be reached raises ``error(one-line reason)``; any other
    database error (a bad statement, bad data) propagates as it is."""
    try:
        yield
    except exc.SQLAlchemyError as err:
        if is_unavailable(err):
            raise error(unavailable_message(url, err, what, fix)) from err
        raise


def unavailable_message(
    url: str | URL,
    err: BaseException,
    what: str = "telemetry database",
    fix: str = "run `cx-telemetry migrate`",
) -> str:
    """One line saying which database failed and why, with the fix when it is known."""
    reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
    if "no such table" in reason or ("relation" in reason and "does not exist" in reason):
        reason += f" ({fix})"
    return f"{what} {safe_url(url)} unavailable: {reason}"


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
