"""The data the telemetry benchmark runs on: seeded once per size and reused (SQLite, under
var/bench/), or a PostgreSQL database of its own, created, seeded and dropped in one run.

Sizes above 1,000,000 conversations are the 1M seed copied in SQL with new ids: seed-demo's
Python generator writes about 5,000 conversations a second on this machine, so 10M would take
most of an hour; the copy takes a few minutes and gives every week 10x the conversations.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cx_telemetry.db import make_engine  # noqa: E402
from cx_telemetry.migrate import alembic_config, upgrade_to_head  # noqa: E402
from cx_telemetry.seed import seed_demo  # noqa: E402

END = datetime(2026, 11, 1, tzinfo=timezone.utc)
DAYS = 180


def _head() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def _seed(url: str, n: int) -> dict[str, float]:
    engine = make_engine(url)
    upgrade_to_head(engine)
    t = time.perf_counter()
    step = max(1, n // 20)

    def progress(k: int, done: list[int] = [0]) -> None:  # noqa: B006 - a running total
        done[0] += k
        if done[0] % step < k:
            print(f"  seeded {done[0]:,} of {n:,} conversations", file=sys.stderr)

    counts: dict[str, float] = dict(
        seed_demo(engine, n, seed=1, end=END, days=DAYS, progress=progress)
    )
    counts["seed_seconds"] = round(time.perf_counter() - t, 1)
    engine.dispose()
    return counts


REPLICATE_FROM = 1_000_000
# the columns of each table with the id rewritten for copy k (ids are 8 hex digits of seed, then
# the rest: the copy number takes the seed's place, so every copy's ids are new and sequential)
_NEW_ID = "printf('%08x', :k) || substr({}, 9)"
_COPIES = {  # table: (the id column the copy is told by, the leading columns rewritten)
    "conversations": ("id", [_NEW_ID.format("id"), "channel",
                             "substr(customer, 1, 56) || printf('%08x', :k)"]),
    "survey_responses": ("conversation_id", [_NEW_ID.format("conversation_id"), "channel"]),
    "handoffs": ("id", [_NEW_ID.format("id"), _NEW_ID.format("conversation_id"), "channel"]),
}  # fmt: skip


def _replicate(db: Path, source: Path, copies: int) -> dict[str, float]:
    """``copies`` times the rows of the ``source`` seed with new ids (the same times, so every
    week holds ``copies`` times the conversations): seed-demo's Python generator writes about
    5,000 conversations a second here, SQL copies them a hundred times faster."""
    t = time.perf_counter()
    shutil.copy(source, db)
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as raw:
        raw.execute("PRAGMA journal_mode = OFF")
        raw.execute("PRAGMA synchronous = OFF")
        raw.execute("PRAGMA cache_size = -262144")
        indexes = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                              "AND name LIKE 'ix_%report%'").fetchall()  # fmt: skip
        for name, _ in indexes:  # rebuilt once at the end: cheaper than 9 million updates
            raw.execute(f'DROP INDEX "{name}"')
        for table, (key, head) in _COPIES.items():
            cols = [r[1] for r in raw.execute(f"PRAGMA table_info({table})")]
            if table == "survey_responses":
                cols.remove("id")  # its own autoincrement
            exprs = ", ".join([*head, *cols[len(head) :]])
            for k in range(2, copies + 1):
                raw.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {exprs} FROM {table} "
                            f"WHERE substr({key}, 1, 8) = '00000001'", {"k": k})  # fmt: skip
        for _, sql in indexes:
            raw.execute(sql)
    counts: dict[str, float] = json.loads(source.with_suffix(".json").read_text())
    for key in ("conversations", "survey_responses", "handoffs"):
        counts[key] *= copies
    counts["seed_seconds"] = round(time.perf_counter() - t, 1)
    counts["replicated_from"] = REPLICATE_FROM
    return counts


def sqlite_data(bench_dir: Path, n: int) -> tuple[str, dict[str, float]]:
    """The seeded SQLite database of ``n`` conversations, reused while the schema is current.
    Above 1M it is the 1M seed copied n/1M times with new ids (see ``_replicate``)."""
    db = bench_dir / f"telemetry-{n}.sqlite3"
    marker = db.with_suffix(".json")
    if db.exists() and marker.exists():
        counts = json.loads(marker.read_text())
        if counts.get("schema") == _head():
            return f"sqlite:///{db}", counts
        print(f"{db}: schema is older than the code; migrating", file=sys.stderr)
        upgrade_to_head(make_engine(f"sqlite:///{db}"))
    else:
        for p in bench_dir.glob(f"telemetry-{n}.sqlite3*"):
            p.unlink()
        if n > REPLICATE_FROM and n % REPLICATE_FROM == 0:
            source, _ = sqlite_data(bench_dir, REPLICATE_FROM)
            counts = _replicate(db, Path(str(make_url(source).database)), n // REPLICATE_FROM)
        else:
            counts = _seed(f"sqlite:///{db}", n)
    with contextlib.closing(sqlite3.connect(db)) as raw:  # outside any transaction
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.execute("ANALYZE")
    counts["schema"] = _head()
    marker.write_text(json.dumps(counts))
    return f"sqlite:///{db}", counts


@contextlib.contextmanager
def pg_database(admin_url: str, n: int) -> Iterator[tuple[str, dict[str, float]]]:
    """A PostgreSQL database of its own, seeded with ``n`` conversations, dropped afterwards."""
    name = f"cx_bench_{n}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        counts = _seed(url, n)
        vacuum = create_engine(url, isolation_level="AUTOCOMMIT")
        with vacuum.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does after a bulk load
        vacuum.dispose()
        yield url, counts
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
