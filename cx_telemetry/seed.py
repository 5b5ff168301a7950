"""``cx-telemetry seed-demo``: realistic synthetic telemetry, every row marked ``synthetic``.

The rows come from ``cx_telemetry.seed_rows``. They go in with executemany in batches, so a
million conversations take seconds, not hours.
"""

from __future__ import annotations

import json
import operator
import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, Engine

from cx_telemetry.db import UTCDateTime
from cx_telemetry.models import Conversation, Handoff, SurveyResponse, TranscriptTurn
from cx_telemetry.seed_rows import Ids, conversation

BATCH = 10_000


def _writer(engine: Engine, table: Any) -> Callable[[Any, list[dict[str, Any]]], None]:
    """executemany of plain tuples through the driver. Core ``insert()`` costs ~10 us a row in
    parameter processing here, which is most of the time for a million rows, so the values
    are converted once per dialect instead (datetimes -> SQLite's text form, lists -> JSON)."""
    generated = ("survey_responses", "transcripts")  # autoincrement ids
    cols = [c.name for c in table.columns if c.name != "id" or table.name not in generated]
    sqlite = engine.dialect.name == "sqlite"
    ph = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join([ph] * len(cols))})"

    getter = operator.itemgetter(*cols)
    # generated datetimes are naive UTC: SQLite gets SQLAlchemy's text form, PostgreSQL a tz
    fmt: Callable[[datetime], Any] = (
        (lambda v: v.isoformat(" ", "microseconds"))
        if sqlite
        else (lambda v: v.replace(tzinfo=timezone.utc))
    )
    fixes: list[tuple[int, Callable[[Any], Any]]] = [
        (i, json.dumps) for i, c in enumerate(cols) if isinstance(table.columns[c].type, JSON)
    ]
    fixes += [
        (i, fmt) for i, c in enumerate(cols) if isinstance(table.columns[c].type, UTCDateTime)
    ]

    def write(conn: Any, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        params = [list(getter(r)) for r in rows]
        for i, f in fixes:
            for p in params:
                v = p[i]
                if v is not None:
                    p[i] = f(v)
        conn.exec_driver_sql(sql, [tuple(p) for p in params])

    return write


def seed_demo(
    engine: Engine,
    conversations: int,
    seed: int = 0,
    end: datetime | None = None,
    days: int = 90,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Insert ``conversations`` synthetic conversations spread over the ``days`` before ``end``
    with their survey responses and handoffs; returns row counts per table. Same seed, same
    end -> same data."""
    rng = random.Random(seed)
    extra = random.Random(seed + 0x5EED)  # fields added later: the older ones stay as they were
    later = random.Random(seed + 0x4E95)  # NPS and transcripts, added later still
    ids = Ids(seed)
    end = (end or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    start = end - timedelta(days=days)
    span = days * 86400.0 - 3600.0  # leave room for the conversation to end before ``end``
    write_c, write_r, write_h, write_t = (
        _writer(engine, t.__table__)
        for t in (Conversation, SurveyResponse, Handoff, TranscriptTurn)
    )
    counts = {"conversations": 0, "survey_responses": 0, "handoffs": 0, "transcripts": 0}
    done = 0
    while done < conversations:
        size = min(BATCH, conversations - done)
        convs, resps, hands, turns = [], [], [], []
        for _ in range(size):
            conv, responses, handoff, said = conversation(
                rng, extra, later, ids, conversations, start, span
            )
            convs.append(conv)
            resps.extend(responses)
            turns.extend(said)
            if handoff:
                hands.append(handoff)
        with engine.begin() as conn:
            write_c(conn, convs)
            write_r(conn, resps)
            write_h(conn, hands)
            write_t(conn, turns)
        counts["conversations"] += len(convs)
        counts["survey_responses"] += len(resps)
        counts["handoffs"] += len(hands)
        counts["transcripts"] += len(turns)
        done += size
        if progress:
            progress(size)
    return counts
