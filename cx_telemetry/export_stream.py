"""Where an export's rows come from: CSV text in chunks of whole lines, or typed rows in batches.

Memory stays flat however many rows there are: at most a few chunks are held at a time.

* SQLite: the table is cut into rowid ranges; for each range the database formats every row as
  a CSV line and joins them (``group_concat``) in C, so Python receives one string per 20,000
  rows instead of an object per row or value. Two ranges are read at a time on two
  connections (SQLite works outside Python's lock) and handed on in order.
* PostgreSQL: the same over ranges of heap blocks (``string_agg`` per range), every reader in
  one exported snapshot.
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

from sqlalchemy import Engine, func, literal, literal_column, select, text

from cx_telemetry.db import SQLITE_CACHE_KIB
from cx_telemetry.export_sql import columns, export_select

CHUNK_ROWS = 5000
READERS = 2  # ranges read at once, each on its own connection
PG_CHUNK_BLOCKS = 256  # 8 kB heap blocks: some 13,000 survey responses, 2 MB of CSV
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
    stmt, _ = export_select(
        what, dialect, since, until, channel, csv_lines=True, guard=guard, naive=naive
    )
    table = columns(what)[0].__tablename__
    ranges = _pg_ranges if dialect == "postgresql" else _sqlite_ranges
    source = ranges(engine, stmt, table)
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
        yield from _in_order(read, range(int(lo), int(hi) + 1, CHUNK_ROWS))
    finally:
        for conn in opened:
            conn.driver_connection.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            conn.close()


def _pg_ranges(engine: Engine, stmt: Any, table: str) -> Iterator[Chunk]:
    """Like ``_sqlite_ranges`` over ranges of heap blocks (a TID range scan, PostgreSQL 14+),
    every reader in one snapshot exported by a lead transaction, so the chunks add up to one
    consistent table even while the gateway writes."""
    in_blocks = text(
        f"{table}.ctid >= CAST(:tid_lo AS tid) AND {table}.ctid < CAST(:tid_hi AS tid)"
    )
    lines = stmt.where(in_blocks).subquery()
    chunk = select(func.string_agg(lines.c.line, literal("\n")), func.count())
    repeatable = {"isolation_level": "REPEATABLE READ"}
    with engine.connect().execution_options(**repeatable) as lead:
        snapshot = lead.execute(text("SELECT pg_export_snapshot()")).scalar()
        size = "SELECT pg_relation_size(CAST(:t AS regclass)) / current_setting('block_size')::int"
        blocks = int(lead.execute(text(size), {"t": table}).scalar() or 0)
        local = threading.local()
        opened: list[Any] = []

        def read(start: int) -> Chunk:
            if not hasattr(local, "conn"):  # one connection per reader, in the lead's snapshot
                local.conn = engine.connect().execution_options(**repeatable)
                opened.append(local.conn)
                local.conn.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
            bounds = {"tid_lo": f"({start},0)", "tid_hi": f"({start + PG_CHUNK_BLOCKS},0)"}
            text_, n = local.conn.execute(chunk, bounds).one()
            return (text_ + "\n" if text_ else ""), n

        try:
            yield from _in_order(read, range(0, blocks, PG_CHUNK_BLOCKS))
        finally:
            for conn in opened:
                conn.close()


def _in_order(read: Any, starts: range) -> Iterator[Chunk]:
    """``read(start)`` for every start, a few at once on the reader threads, in order."""
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        ahead: deque[Future[Chunk]] = deque()
        for start in starts:
            ahead.append(pool.submit(read, start))
            if len(ahead) > READERS:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def row_batches(engine: Engine, stmt: Any, batch: int = CHUNK_ROWS) -> Iterator[Sequence[Any]]:
    """Typed rows from a server-side cursor, ``batch`` at a time."""
    with engine.connect().execution_options(readonly=True) as conn, _progress(engine, stmt) as bar:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
        for part in result.partitions():
            bar.update(len(part))
            yield part
