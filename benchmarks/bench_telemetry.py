"""Benchmark of cx_telemetry: survey writes/s; on 1,000,000 and 10,000,000 seeded conversations,
every CLI command (exports of the ~1.2 responses per conversation to CSV and Parquet, the
report as JSON, terminal table and HTML) beside the database's own CSV dump as baseline:
``sqlite3 -csv`` on SQLite, ``COPY ... TO STDOUT`` (psql) on PostgreSQL.

    .venv/bin/python benchmarks/bench_telemetry.py                      # 1M and 10M, SQLite + PG
    .venv/bin/python benchmarks/bench_telemetry.py --sizes 50000 --pg none   # a quick run

SQLite data is seeded once under var/bench/ and reused (10M takes a while); PostgreSQL gets its
own database per size (``cx_bench_<n>``), created, seeded and dropped in the same run. Each
command runs in its own process; its wall time, CPU time and peak RSS (``ru_maxrss`` of that
child alone) are measured by a tiny wrapper process.
Goals: ``report --html`` < 3 s and ``report --json`` < 1.5 s on 1M conversations; CSV export
<= 1.2x and Parquet <= 1.3x the baseline; peak RSS < 300 MB at every size; time no worse than
linear in the number of rows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cx_telemetry import Settings, TelemetryStore  # noqa: E402
from cx_telemetry.db import make_engine  # noqa: E402
from cx_telemetry.migrate import alembic_config, upgrade_to_head  # noqa: E402
from cx_telemetry.seed import seed_demo  # noqa: E402

# Runs argv, writes stdout to a file (or /dev/null), prints wall seconds and child max RSS (KiB).
MEASURE = """
import resource, subprocess, sys, time
out = sys.argv[1]
t = time.perf_counter()
with open(out, "wb") as fh:
    rc = subprocess.run(sys.argv[2:], stdout=fh).returncode
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, ru.ru_maxrss, ru.ru_utime + ru.ru_stime, rc)
"""
END = datetime(2026, 11, 1, tzinfo=timezone.utc)
DAYS = 180
COLUMNS = ("conversation_id, channel, metric, score, scale_max, status, {ts_asked}, {ts_answered}, "
           "segment, agent, intent, model_version, comment, synthetic")  # fmt: skip
SQLITE_BASELINE = "SELECT " + COLUMNS.format(
    ts_asked="strftime('%Y-%m-%dT%H:%M:%fZ', asked_at)",
    ts_answered="strftime('%Y-%m-%dT%H:%M:%fZ', answered_at)",
) + " FROM survey_responses"  # fmt: skip
PG_TS = "to_char(timezone('UTC', {c}), 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
PG_BASELINE = "\\copy (SELECT " + COLUMNS.format(
    ts_asked=PG_TS.format(c="asked_at"), ts_answered=PG_TS.format(c="answered_at")
) + ", synthetic FROM survey_responses) TO STDOUT WITH (FORMAT csv)"  # fmt: skip
Row = tuple[str, float, float, float]  # command, wall s, peak RSS MB, CPU s


def measure(
    argv: list[str], env: dict[str, str], stdout: str = os.devnull
) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds) of one command in its own process."""
    res = subprocess.run([sys.executable, "-c", MEASURE, stdout, *argv], capture_output=True,
                         text=True, env=env, check=True)  # fmt: skip
    wall, rss_kib, cpu, rc = res.stdout.split()
    if int(rc) != 0:
        raise SystemExit(f"command failed ({rc}): {' '.join(argv)}")
    return float(wall), int(rss_kib) / 1024, float(cpu)


def bench_writes(bench_dir: Path, n_conversations: int) -> float:
    """Survey writes per second through the public store API (ask + answer, 2 writes each)."""
    db = bench_dir / "writes.sqlite3"
    for p in bench_dir.glob("writes.sqlite3*"):
        p.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        store = TelemetryStore(
            Settings(f"sqlite:///{db}", "bench-key", Path(tmp) / "key", Path(tmp) / "outbox")
        )
        store.migrate()
        cids = [store.open_conversation(channel="telegram", customer_id=f"telegram:{i}")
                for i in range(n_conversations)]  # fmt: skip
        t = time.perf_counter()
        for cid in cids:
            store.survey_asked(cid, metric="csat")
            store.survey_answered(cid, metric="csat", score=4)
        elapsed = time.perf_counter() - t
        store.dispose()
    return 2 * n_conversations / elapsed


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


def suite(url: str, out_dir: Path, baseline: list[str] | None, label: str) -> list[Row]:
    env = dict(os.environ, CX_TELEMETRY_DB_URL=url, CX_PSEUDONYM_KEY="bench-key")
    cli = [sys.executable, "-m", "cx_telemetry.cli"]
    rows: list[Row] = []
    if baseline:
        rows.append((f"{label} (baseline)", *measure(baseline, env, str(out_dir / "baseline.csv"))))
    for fmt in ("csv", "parquet"):
        out = out_dir / f"responses.{fmt}"
        argv = [*cli, "export", "--what", "responses", "--format", fmt, "--out", str(out)]
        rows.append((f"export {fmt}", *measure(argv, env)))
    since = (END - timedelta(days=28)).strftime("%Y-%m-%d")
    reports = (
        ("report --json", ["--json"]),
        ("report --json --since (+ previous)", ["--json", "--since", since]),
        ("report --json --by week", ["--json", "--by", "week"]),
        ("report --json --by channel", ["--json", "--by", "channel"]),
        ("report (terminal) --by intent", ["--by", "intent"]),
        ("report --html --by intent", ["--html", str(out_dir / "report.html"), "--by", "intent"]),
    )
    for name, extra in reports:
        rows.append((name, *measure([*cli, "report", *extra], env)))
    return rows


def show(title: str, counts: dict[str, float], rows: list[Row]) -> None:
    base = rows[0] if "baseline" in rows[0][0] else None
    print(f"\n{title}: {int(counts['conversations']):,} conversations, "
          f"{int(counts['survey_responses']):,} responses (seeded in {counts['seed_seconds']} s)")  # fmt: skip
    print(
        f"{'command':<38} {'wall s':>8} {'CPU s':>7} {'peak RSS MB':>12} {'wall vs base':>13} {'CPU vs base':>12}"
    )
    for name, wall, rss, cpu in rows:
        ratio = f"{wall / base[1]:.2f}x" if base and name.startswith("export") else ""
        cpu_ratio = f"{cpu / base[3]:.2f}x" if base and name.startswith("export") else ""
        print(f"{name:<38} {wall:>8.2f} {cpu:>7.2f} {rss:>12.1f} {ratio:>13} {cpu_ratio:>12}")


def goals(results: dict[tuple[str, int], list[Row]], sizes: list[int]) -> None:
    print(
        f"\ngoals (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; wall times suffer under load):"
    )
    for (backend, n), rows in results.items():
        base = rows[0] if "baseline" in rows[0][0] else None
        where = f"{backend} {n:,}"
        if base:
            for name, limit in (("export csv", 1.2), ("export parquet", 1.3)):
                w = next(r[1] for r in rows if r[0] == name)
                print(f"  {where}: {name} {w / base[1]:.2f}x the baseline (goal <= {limit}x)"
                      f"{'' if w / base[1] <= limit else '  MISSED'}")  # fmt: skip
        peak = max(r[2] for r in rows if "baseline" not in r[0])
        print(
            f"  {where}: peak RSS {peak:.0f} MB (goal < 300 MB){'' if peak < 300 else '  MISSED'}"
        )
        if n == 1_000_000:
            for name, limit in (("report --json", 1.5), ("report --html --by intent", 3.0)):
                w = next(r[1] for r in rows if r[0] == name)
                print(
                    f"  {where}: {name} {w:.2f} s (goal < {limit} s){'' if w < limit else '  MISSED'}"
                )
    for backend in {b for b, _ in results}:
        small, big = (results.get((backend, n)) for n in (min(sizes), max(sizes)))
        if small and big and small is not big:
            k = max(sizes) / min(sizes)
            worst = max((b[1] / s[1], s[0]) for s, b in zip(small, big, strict=True))
            print(f"  {backend}: {k:.0f}x the rows takes at most {worst[0]:.1f}x the time ({worst[1]}); "
                  f"linear or better: {'yes' if worst[0] <= k * 1.1 else 'NO'}")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", default="1000000,10000000", help="conversation counts (default 1M,10M)"
    )
    ap.add_argument("--pg", default=os.environ.get("CX_TELEMETRY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                    help="PostgreSQL URL to create the bench databases from ('none' to skip)")  # fmt: skip
    ap.add_argument("--pg-sizes", default="1000000", help="sizes to run on PostgreSQL too")
    ap.add_argument("--dir", type=Path, default=ROOT / "var" / "bench")
    ap.add_argument(
        "--writes", type=int, default=2000, help="conversations for the write benchmark"
    )
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    pg_sizes = [] if args.pg == "none" else [int(s) for s in args.pg_sizes.split(",") if s]

    print(
        f"survey writes: {bench_writes(args.dir, args.writes):,.0f} writes/s (SQLite, ask+answer via TelemetryStore)"
    )
    results: dict[tuple[str, int], list[Row]] = {}
    sqlite_cli = shutil.which("sqlite3")
    for n in sizes:
        url, counts = sqlite_data(args.dir, n)
        db = make_url(url).database
        baseline = [sqlite_cli, "-csv", str(db), SQLITE_BASELINE] if sqlite_cli else None
        results[("SQLite", n)] = rows = suite(url, args.dir, baseline, "sqlite3 -csv")
        show(f"SQLite {db}", counts, rows)
    psql = shutil.which("psql")
    for n in pg_sizes:
        with pg_database(args.pg, n) as (url, counts):
            u = make_url(url)
            baseline = [psql, "-X", "-q", "-h", str(u.host or "127.0.0.1"), "-p", str(u.port or 5432),
                        "-U", str(u.username or "postgres"), "-d", str(u.database), "-c", PG_BASELINE] if psql else None  # fmt: skip
            results[("PostgreSQL", n)] = rows = suite(url, args.dir, baseline, "COPY TO STDOUT")
            show(f"PostgreSQL {u.database}", counts, rows)
    goals(results, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
