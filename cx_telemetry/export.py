"""``cx-telemetry export``: stream responses, conversations or handoffs to CSV, JSONL or Parquet.

Rows are read through a server-side cursor in batches (``yield_per``) and written batch by
batch, so memory stays flat however many rows there are. For CSV and Parquet the database
formats each row as one CSV line (``export_sql``); Python writes the lines (CSV) or hands each
batch to Arrow's C++ CSV parser (Parquet), so no Python object is made per value. Rows come in
storage order (a sequential scan, no sort).

The CSV opens cleanly in Excel and Google Sheets: UTF-8 with a byte-order mark (so Excel reads
accents right), a header row and data only. What the file is — metric-definitions version,
columns, filters, row count — goes to a sidecar ``<file>.meta.json`` written beside every
export (CSV can have the old leading ``#`` line instead, ``with_header_comment``); JSONL rows
also carry ``metric_definitions_version``, Parquet has it in its file metadata.
Customers appear only as pseudonyms; no raw ids or secrets are exported.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from cx_telemetry.db import is_unavailable, safe_url, unavailable_message
from cx_telemetry.errors import StoreUnavailable
from cx_telemetry.export_sql import Column, columns, export_select
from cx_telemetry.export_stream import Chunk, csv_chunks, row_batches
from cx_telemetry.metrics import METRIC_DEFINITIONS, METRIC_DEFINITIONS_VERSION

WHATS = ("responses", "conversations", "handoffs", "reviews")
FORMATS = ("csv", "jsonl", "parquet")
PARQUET_COMPRESSION = "zstd"  # same speed as snappy here, files 1/3 smaller


def _write_csv(fh: IO[str], names: list[str], chunks: Iterator[Chunk], header_comment: bool) -> int:
    fh.write("\ufeff")  # the byte-order mark: Excel reads the file as UTF-8
    if header_comment:
        fh.write(f"# {METRIC_DEFINITIONS}\n")
    fh.write(",".join(names) + "\n")
    n = 0
    for text, rows in chunks:
        fh.write(text)
        n += rows
    return n


def _write_jsonl(
    fh: IO[str], cols: list[Column], batches: Iterator[Sequence[Sequence[Any]]]
) -> int:
    names = [c[0] for c in cols]
    convert: list[Callable[[Any], Any] | None] = [
        (lambda v: None if v is None else bool(v)) if t == "bool"
        else (lambda v: None if v is None else json.loads(v)) if t == "json" else None
        for _, _, t in cols
    ]  # fmt: skip
    n = 0
    dumps = json.dumps
    for rows in batches:
        out = []
        for row in rows:
            rec = {k: (c(v) if c else v) for k, v, c in zip(names, row, convert, strict=True)}
            rec["metric_definitions_version"] = METRIC_DEFINITIONS_VERSION
            out.append(dumps(rec, ensure_ascii=False))
        fh.write("\n".join(out) + "\n")
        n += len(rows)
    return n


class _ChunkStream(io.RawIOBase):
    """A read-only byte stream over chunks of CSV text, for Arrow's streaming CSV reader."""

    def __init__(self, chunks: Iterator[Chunk]) -> None:
        self._chunks = chunks
        self._buf = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buf:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buf = memoryview(chunk[0].encode("utf-8"))
        n = min(len(target), len(self._buf))
        target[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _write_parquet(path: Path, cols: list[Column], chunks: Iterator[Chunk], naive: bool) -> int:
    """Arrow's C++ CSV reader parses the database-formatted lines as one stream into typed
    record batches, which are written as they come: no Python object per value. ``naive``:
    times come as SQLite stores them (UTC, microseconds, no zone), cheaper to make and to parse
    than ISO text; they are cut to milliseconds in UTC like every other export."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    ts = pa.timestamp("ms", tz="UTC")
    types = {"str": pa.string(), "int": pa.int32(), "float": pa.float64(), "json": pa.string(),
             "ts": ts, "bool": pa.bool_()}  # fmt: skip
    names = [n for n, _, _ in cols]
    schema = pa.schema([pa.field(n, types[t]) for n, _, t in cols]).with_metadata(
        {
            "cx_telemetry.metric_definitions_version": str(METRIC_DEFINITIONS_VERSION),
            "cx_telemetry.metric_definitions": METRIC_DEFINITIONS,
        }
    )
    read_types = dict(types, ts=pa.timestamp("us")) if naive else types
    reader = pacsv.open_csv(
        _ChunkStream(chunks),
        read_options=pacsv.ReadOptions(column_names=names, block_size=8 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={n: read_types[t] for n, _, t in cols},
            strings_can_be_null=True,
            timestamp_parsers=[pacsv.ISO8601],
        ),
    )
    n = 0
    with pq.ParquetWriter(path, schema, compression=PARQUET_COMPRESSION) as writer:
        for batch in reader:
            arrays = [
                pc.cast(a, ts, safe=False) if naive and t == "ts" else a
                for a, (_, _, t) in zip(batch.columns, cols, strict=True)
            ]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            n += batch.num_rows
    return n


_PARQUET_TYPES = {"str": "string", "int": "int32", "float": "double", "json": "string",
                  "ts": "timestamp[ms, tz=UTC]", "bool": "bool"}  # fmt: skip


def _discard(part: Path) -> None:
    """Remove an unfinished file; never hides the error that stopped the export."""
    with contextlib.suppress(OSError):
        part.unlink(missing_ok=True)


def sidecar(out: Path) -> Path:
    """Where the description of export ``out`` goes: ``<out>.meta.json``."""
    return out.with_name(out.name + ".meta.json")


def _write_meta(out: Path, meta: dict[str, Any]) -> None:
    path = sidecar(out)
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(part, path)


def export(
    engine: Engine,
    what: str,
    fmt: str,
    out: Path,
    since: datetime | None = None,
    until: datetime | None = None,
    channel: str | None = None,
    with_header_comment: bool = False,
) -> int:
    """Write one row per response / conversation / handoff / low-score conversation under review
    (``reviews``, with its redacted transcript) to ``out`` and its description to
    ``<out>.meta.json``; returns the row count. The file appears only when complete (written as
    ``<out>.part``, then renamed); a file error names ``out``, never the ``.part`` file."""
    out = Path(out)
    part = out.with_name(out.name + ".part")
    reviewing = what == "reviews"  # built in Python: few rows, each with its transcript
    if reviewing:
        from cx_telemetry.review import ReviewFilter
        from cx_telemetry.review_export import COLUMNS, write_reviews

        cols: list[Column] = [(name, None, kind) for name, kind in COLUMNS]
    else:
        _, _, cols = columns(what)
    if not reviewing and fmt == "jsonl":
        stmt, _ = export_select(what, engine.dialect.name, since, until, channel)
        rows = row_batches(engine, stmt)
    elif not reviewing:  # CSV and Parquet read whole CSV lines formatted by the database
        naive = fmt == "parquet" and engine.dialect.name == "sqlite"
        chunks = csv_chunks(engine, what, since, until, channel, guard=fmt == "csv", naive=naive)
    try:
        if reviewing:
            n = write_reviews(engine, fmt, part, ReviewFilter(since, until, channel=channel))
        elif fmt == "parquet":
            n = _write_parquet(part, cols, chunks, naive)
        else:
            with open(part, "w", encoding="utf-8", newline="") as fh:
                n = (
                    _write_csv(fh, [c[0] for c in cols], chunks, with_header_comment)
                    if fmt == "csv"
                    else _write_jsonl(fh, cols, rows)
                )
        os.replace(part, out)
        _write_meta(out, {
            "file": out.name, "what": what, "format": fmt, "rows": n,
            "metric_definitions_version": METRIC_DEFINITIONS_VERSION,
            "metric_definitions": METRIC_DEFINITIONS,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "filters": {"since": since.isoformat() if since else None,
                        "until": until.isoformat() if until else None, "channel": channel},
            "columns": [{"name": name, "type": _PARQUET_TYPES[kind]} for name, _, kind in cols],
            "timestamps": "ISO 8601, UTC, milliseconds (2026-01-31T09:15:02.123Z)",
            "durations": "seconds, rounded to 0.1 s",
            "csv": {"encoding": "UTF-8 with byte-order mark", "header_comment": with_header_comment,
                    "formula_guard": "text starting with = + - @ tab or CR is prefixed with '"},
        })  # fmt: skip
    except SQLAlchemyError as err:
        _discard(part)
        if is_unavailable(err):
            raise StoreUnavailable(unavailable_message(engine.url, err)) from err
        raise
    except sqlite3.Error as err:  # the raw SQLite cursor of ``export_stream``
        _discard(part)
        raise StoreUnavailable(f"telemetry database {safe_url(engine.url)}: {err}") from err
    except OSError as err:
        _discard(part)
        raise OSError(err.errno, err.strerror, str(out)) from err
    except BaseException:
        _discard(part)
        raise
    return n
