"""Where an export's rows come from: CSV text in chunks of whole lines, or typed rows in batches.

Memory stays flat however many rows there are: at most a few chunks are held at a time.

* SQLite: the table is cut into rowid ranges; for each range the database formats every row as
  a CSV line and joins them (``group_concat``) in C, so Python receives one string per 20,000
  rows instead of an object per row or value. Two ranges are read at a time on two
  connections (SQLite works outside Python's lock) and handed on in order.
* PostgreSQL: ``COPY (SELECT ...) TO STDOUT WITH (FORMAT csv)``, the server's own CSV writer,
  streamed as it comes.
* JSONL: typed rows through a server-side cursor (``yield_per``).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, literal_column, select

from cx_telemetry.db import SQLITE_CACHE_KIB
from cx_telemetry.export_sql import columns, export_select

CHUNK_ROWS = 5000
COPY_CHUNK_BYTES = 1 << 20
SQLITE_READERS = 2  # ranges read at once (each on its own connection)
EXPORT_SQLITE_CACHE_KIB = 8192  # a one-pass scan gains nothing from a big page cache
Chunk = tuple[str, int]  # whole CSV lines, each ending in "\n", and how many rows they are


class _NoProgress:
    def update(self, n: int) -> None:
        pass


def _progress(engine: Engine, stmt: Any) -> contextlib.AbstractContextManager[Any]:
    """tqdm with the row count on a terminal (imported only then: it costs 0.1 s), else
    nothing."""
    if not sys.stderr.isatty():
        return contextlib.nullcontext(_NoProgress())
    from tqdm import tqdm

    with engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(stmt.subquery()))
    return tqdm(total=total, unit=" rows", file=sys.stderr)


def csv_chunks(engine: Engine, what: str, since: datetime | None, until: datetime | None,
               channel: str | None, guard: bool, naive: bool = False) -> Iterator[Chunk]:  # fmt: skip
    """The export's rows as CSV text (no header), in storage order on SQLite; ``guard``
    defuses formula-looking text, ``naive`` leaves SQLite's times as stored."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        stmt, _ = export_select(what, dialect, since, until, channel, guard=guard)
        source = _pg_copy(engine, stmt)
    else:
        stmt, _ = export_select(
            what, dialect, since, until, channel, csv_lines=True, guard=guard, naive=naive
        )
        source = _sqlite_ranges(engine, stmt, columns(what)[0].__tablename__)
    with _progress(engine, stmt) as bar:
        for text, n in source:
            bar.update(n)
            yield text, n


def _sqlite_ranges(engine: Engine, stmt: Any, table: str) -> Iterator[Chunk]:
    lined = stmt.add_columns(literal_column(f"{table}.rowid").label("rid"))
    inner = str(lined.compile(engine, compile_kwargs={"literal_binds": True}))
    sql = f"SELECT group_concat(line, char(10)), count(*) FROM ({inner}) WHERE rid BETWEEN ? AND ?"
    # two queries: min() or max() alone is a B-tree lookup, both in one query a full scan
    with engine.connect() as conn:
        lo = conn.exec_driver_sql(f"SELECT min(rowid) FROM {table}").scalar()
        hi = conn.exec_driver_sql(f"SELECT max(rowid) FROM {table}").scalar()
    if lo is None or hi is None:
        return
    local = threading.local()
    opened: list[Any] = []

    def read(start: int) -> Chunk:
        if not hasattr(local, "conn"):  # one read-only connection per reader thread
            local.conn = engine.raw_connection()
            opened.append(local.conn)
            local.conn.driver_connection.execute(f"PRAGMA cache_size = -{EXPORT_SQLITE_CACHE_KIB}")
        cursor = local.conn.driver_connection.execute(sql, (start, start + CHUNK_ROWS - 1))
        text, n = cursor.fetchone()
        return (text + "\n" if text else ""), n

    try:
        with ThreadPoolExecutor(max_workers=SQLITE_READERS) as pool:
            ahead: deque[Future[Chunk]] = deque()
            # a few ranges in flight, handed on in order
            for start in range(int(lo), int(hi) + 1, CHUNK_ROWS):
                ahead.append(pool.submit(read, start))
                if len(ahead) > SQLITE_READERS:
                    yield ahead.popleft().result()
            while ahead:
                yield ahead.popleft().result()
    finally:
        for conn in opened:
            conn.driver_connection.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            conn.close()


def _pg_copy(engine: Engine, stmt: Any) -> Iterator[Chunk]:
    compiled = stmt.compile(engine, compile_kwargs={"render_postcompile": True})
    sql = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)"
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(sql, compiled.params) as copy:
            buf, rows = bytearray(), 0
            for row in copy:  # one row of CSV per message from the server
                buf += row
                rows += 1
                if len(buf) >= COPY_CHUNK_BYTES:
                    yield buf.decode("utf-8"), rows
                    buf, rows = bytearray(), 0
            if rows:
                yield buf.decode("utf-8"), rows


def row_batches(engine: Engine, stmt: Any, batch: int = CHUNK_ROWS) -> Iterator[Sequence[Any]]:
    """Typed rows from a server-side cursor, ``batch`` at a time."""
    with engine.connect().execution_options(readonly=True) as conn, _progress(engine, stmt) as bar:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
        for part in result.partitions():
            bar.update(len(part))
            yield part
