"""Benchmark of cx_telemetry: survey writes/s; on 1,000,000 and 10,000,000 seeded conversations,
every CLI command (exports of the ~1.2 responses per conversation to CSV and Parquet, the
report as JSON, terminal table and HTML) beside the database's own CSV dump as baseline:
``sqlite3 -csv`` on SQLite, ``COPY ... TO STDOUT`` (psql) on PostgreSQL.

    .venv/bin/python benchmarks/bench_telemetry.py                      # 1M and 10M, SQLite + PG
    .venv/bin/python benchmarks/bench_telemetry.py --sizes 50000 --pg none   # a quick run

SQLite data is seeded once under var/bench/ and reused (``telemetry_data``: 10M is the 1M seed
copied in SQL); PostgreSQL gets its own database per size (``cx_bench_<n>``), created, seeded
and dropped in the same run. Each command runs in its own process; its wall time, CPU time and peak RSS (``ru_maxrss`` of that
child alone) are measured by a tiny wrapper process.
Goals: ``report --html`` < 3 s and ``report --json`` < 1.5 s on 1M conversations; CSV export
<= 1.2x and Parquet <= 1.3x the baseline; peak RSS < 300 MB at every size; time no worse than
linear in the number of rows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telemetry_data import END, pg_database, sqlite_data  # noqa: E402

from cx_telemetry import Settings, TelemetryStore  # noqa: E402

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
COLUMNS = ("conversation_id, channel, metric, score, scale_max, status, {ts_asked}, {ts_answered}, "
           "segment, agent, intent, model_version, comment, synthetic")  # fmt: skip
SQLITE_BASELINE = "SELECT " + COLUMNS.format(
    ts_asked="strftime('%Y-%m-%dT%H:%M:%fZ', asked_at)",
    ts_answered="strftime('%Y-%m-%dT%H:%M:%fZ', answered_at)",
) + " FROM survey_responses"  # fmt: skip
PG_TS = "to_char(timezone('UTC', {c}), 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
PG_BASELINE = "\\copy (SELECT " + COLUMNS.format(
    ts_asked=PG_TS.format(c="asked_at"), ts_answered=PG_TS.format(c="answered_at")
) + " FROM survey_responses) TO STDOUT WITH (FORMAT csv)"  # fmt: skip
Row = tuple[str, float, float, float]  # command, wall s, peak RSS MB, CPU s


def measure(
    argv: list[str], env: dict[str, str], stdout: str = os.devnull, repeat: int = 1
) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds) of one command in its own process: the best
    wall and CPU time of ``repeat`` runs (others share this machine), the highest RSS."""
    runs = []
    for _ in range(repeat):
        res = subprocess.run([sys.executable, "-c", MEASURE, stdout, *argv], capture_output=True,
                             text=True, env=env, check=True)  # fmt: skip
        wall, rss_kib, cpu, rc = res.stdout.split()
        if int(rc) != 0:
            raise SystemExit(f"command failed ({rc}): {' '.join(argv)}")
        runs.append((float(wall), int(rss_kib) / 1024, float(cpu)))
    return min(r[0] for r in runs), max(r[1] for r in runs), min(r[2] for r in runs)


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


def suite(
    url: str, out_dir: Path, baseline: list[str] | None, label: str, repeat: int
) -> list[Row]:
    env = dict(os.environ, CX_TELEMETRY_DB_URL=url, CX_PSEUDONYM_KEY="bench-key")
    cli = [sys.executable, "-m", "cx_telemetry.cli"]
    rows: list[Row] = []
    if baseline:
        base = measure(baseline, env, str(out_dir / "baseline.csv"), repeat)
        rows.append((f"{label} (baseline)", *base))
    for fmt in ("csv", "parquet"):
        out = out_dir / f"responses.{fmt}"
        argv = [*cli, "export", "--what", "responses", "--format", fmt, "--out", str(out)]
        rows.append((f"export {fmt}", *measure(argv, env, repeat=repeat)))
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
        rows.append((name, *measure([*cli, "report", *extra], env, repeat=repeat)))
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


def _verdict(ok: bool) -> str:
    return "" if ok else "  MISSED"


def goals(results: dict[tuple[str, int], list[Row]]) -> None:
    """Every goal with the measured figure; ratios in wall time (the goal) and in CPU time
    (what the command costs whatever else runs on the machine)."""
    load = os.getloadavg()[0]
    print(
        f"\ngoals (load average now {load:.1f} on {os.cpu_count()} CPUs; wall times suffer under load):"
    )
    for (backend, n), rows in results.items():
        base = rows[0] if "baseline" in rows[0][0] else None
        where = f"{backend} {n:,}"
        if base:
            for name, limit in (("export csv", 1.2), ("export parquet", 1.3)):
                _, wall, _, cpu = next(r for r in rows if r[0] == name)
                print(f"  {where}: {name} {wall / base[1]:.2f}x the baseline's wall time "
                      f"(goal <= {limit}x){_verdict(wall / base[1] <= limit)}; "
                      f"CPU {cpu / base[3]:.2f}x")  # fmt: skip
        peak = max(r[2] for r in rows if "baseline" not in r[0])
        print(f"  {where}: peak RSS {peak:.0f} MB (goal < 300 MB){_verdict(peak < 300)}")
        if n == 1_000_000:
            for name, limit in (("report --json", 1.5), ("report --html --by intent", 3.0)):
                _, wall, _, cpu = next(r for r in rows if r[0] == name)
                print(f"  {where}: {name} {wall:.2f} s (goal < {limit} s){_verdict(wall < limit)};"
                      f" CPU {cpu:.2f} s")  # fmt: skip
    for backend in sorted({b for b, _ in results}):
        ns = sorted(n for b, n in results if b == backend)
        if len(ns) < 2:
            continue
        small, big = results[(backend, ns[0])], results[(backend, ns[-1])]
        k = ns[-1] / ns[0]
        for what in ("CPU", "wall"):
            worst = max(
                ((b[3] / s[3]) if what == "CPU" else (b[1] / s[1]), s[0])
                for s, b in zip(small, big, strict=True)
            )
            print(f"  {backend}: {k:.0f}x the rows takes at most {worst[0]:.1f}x the {what} time "
                  f"({worst[1]}): {'linear or better' if worst[0] <= k * 1.1 else 'WORSE than linear'}")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", default="1000000,10000000", help="conversation counts on SQLite ('' for none)"
    )
    ap.add_argument("--pg", default=os.environ.get("CX_TELEMETRY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                    help="PostgreSQL URL to create the bench databases from ('none' to skip)")  # fmt: skip
    ap.add_argument("--pg-sizes", default="1000000", help="sizes to run on PostgreSQL too")
    ap.add_argument("--dir", type=Path, default=ROOT / "var" / "bench")
    ap.add_argument(
        "--writes", type=int, default=2000, help="conversations for the write benchmark"
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per command; the best counts")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    pg_sizes = [] if args.pg == "none" else [int(s) for s in args.pg_sizes.split(",") if s]

    print(
        f"survey writes: {bench_writes(args.dir, args.writes):,.0f} writes/s (SQLite, ask+answer via TelemetryStore)"
    )
    print(f"each command: the best of {args.repeat} run(s), load average {os.getloadavg()[0]:.1f}")
    results: dict[tuple[str, int], list[Row]] = {}
    sqlite_cli = shutil.which("sqlite3")
    for n in sizes:
        url, counts = sqlite_data(args.dir, n)
        db = make_url(url).database
        baseline = [sqlite_cli, "-csv", str(db), SQLITE_BASELINE] if sqlite_cli else None
        results[("SQLite", n)] = rows = suite(url, args.dir, baseline, "sqlite3 -csv", args.repeat)
        show(f"SQLite {db}", counts, rows)
    psql = shutil.which("psql")
    for n in pg_sizes:
        with pg_database(args.pg, n) as (url, counts):
            u = make_url(url)
            baseline = [psql, "-X", "-q", "-h", str(u.host or "127.0.0.1"), "-p", str(u.port or 5432),
                        "-U", str(u.username or "postgres"), "-d", str(u.database), "-c", PG_BASELINE] if psql else None  # fmt: skip
            results[("PostgreSQL", n)] = rows = suite(
                url, args.dir, baseline, "COPY TO STDOUT", args.repeat
            )
            show(f"PostgreSQL {u.database}", counts, rows)
    goals(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
