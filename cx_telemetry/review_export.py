"""``cx-telemetry export --what reviews``: the review queue as CSV, JSONL or Parquet, one row per
low-score conversation with its redacted transcript. Written the way every export is (a
``.part`` file renamed when complete, CSV with a byte-order mark and the formula guard, the
sidecar ``.meta.json`` by ``export``)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from cx_telemetry.metrics import METRIC_DEFINITIONS_VERSION
from cx_telemetry.review import Review, ReviewFilter, reviews

# (name, kind) as in export_sql.columns: what the sidecar and Parquet say about each column
COLUMNS: list[tuple[str, str]] = [
    ("conversation_id", "str"), ("asked_at", "ts"), ("channel", "str"), ("intent", "str"),
    ("segment", "str"), ("agent", "str"), ("csat", "int"), ("ces", "int"), ("nps", "int"),
    ("csat_comment", "str"), ("ces_comment", "str"), ("transcript", "str"),
]  # fmt: skip
_FREE_TEXT = {"agent", "csat_comment", "ces_comment", "transcript"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000


def _record(e: Review) -> dict[str, Any]:
    return {
        "conversation_id": e.conversation_id,
        "asked_at": e.asked_at,
        "channel": e.channel, "intent": e.intent, "segment": e.segment, "agent": e.agent,
        "csat": e.scores.get("csat"), "ces": e.scores.get("ces"), "nps": e.scores.get("nps"),
        "csat_comment": e.comments.get("csat"), "ces_comment": e.comments.get("ces"),
        "transcript": e.transcript_text() or None,
    }  # fmt: skip


def _iso(at: datetime) -> str:
    """ISO 8601 UTC with milliseconds, as every export writes times."""
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _guarded(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if name in _FREE_TEXT and isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_reviews(engine: Engine, fmt: str, part: Path, f: ReviewFilter) -> int:
    """Write the queue to ``part`` in ``fmt``; returns the row count."""
    records: Iterator[dict[str, Any]] = (_record(e) for e in reviews(engine, f))
    names = [n for n, _ in COLUMNS]
    n = 0
    if fmt == "parquet":
        return _parquet(part, records)
    with open(part, "w", encoding="utf-8", newline="") as fh:
        if fmt == "csv":
            fh.write("\ufeff")
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(names)
            for rec in records:
                writer.writerow(["" if rec[k] is None else _guarded(k, rec[k]) for k in names])
                n += 1
        else:
            for rec in records:
                rec["asked_at"] = _iso(rec["asked_at"])
                rec["metric_definitions_version"] = METRIC_DEFINITIONS_VERSION
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
    return n


def _parquet(part: Path, records: Iterator[dict[str, Any]]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"str": pa.string(), "int": pa.int32(), "ts": pa.timestamp("ms", tz="UTC")}
    schema = pa.schema([pa.field(n, types[k]) for n, k in COLUMNS]).with_metadata(
        {"cx_telemetry.metric_definitions_version": str(METRIC_DEFINITIONS_VERSION)}
    )
    n = 0
    with pq.ParquetWriter(part, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for rec in records:
            batch.append(rec)
            if len(batch) >= BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n, batch = n + len(batch), []
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n
