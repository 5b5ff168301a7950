"""Benchmark of cx_telemetry: survey writes/s, export of ~1M responses (CSV, Parquet) against
the sqlite3 CLI on the same database, and ``report`` on 1M conversations.

    .venv/bin/python benchmarks/bench_telemetry.py            # full size (1,000,000 conversations)
    .venv/bin/python benchmarks/bench_telemetry.py --n 50000  # quick run

Data lives under var/bench/. Each export/report runs in its own subprocess; its wall time and
peak RSS (ru_maxrss of that child alone) are measured by a tiny wrapper process.
Goals: export within 1.5x of ``sqlite3 -csv``, peak RSS < 300 MB, report < 3 s.
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
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cx_telemetry import Settings, TelemetryStore  # noqa: E402
from cx_telemetry.db import make_engine  # noqa: E402
from cx_telemetry.migrate import upgrade_to_head  # noqa: E402
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

BASELINE_SQL = (
    "SELECT conversation_id, channel, metric, score, scale_max, status, "
    "strftime('%Y-%m-%dT%H:%M:%fZ', asked_at), strftime('%Y-%m-%dT%H:%M:%fZ', answered_at), "
    "segment, agent, intent, model_version, comment, synthetic FROM survey_responses"
)


def measure(
    argv: list[str], stdout: str = os.devnull, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one command in its own process."""
    res = subprocess.run(
        [sys.executable, "-c", MEASURE, stdout, *argv],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
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
        cids = [
            store.open_conversation(channel="telegram", customer_id=f"telegram:{i}")
            for i in range(n_conversations)
        ]
        t = time.perf_counter()
        for cid in cids:
            store.survey_asked(cid, metric="csat")
            store.survey_answered(cid, metric="csat", score=4)
        elapsed = time.perf_counter() - t
        store.dispose()
    return 2 * n_conversations / elapsed


def ensure_data(bench_dir: Path, n: int) -> tuple[Path, dict[str, int]]:
    db = bench_dir / f"telemetry-{n}.sqlite3"
    marker = db.with_suffix(".json")
    if db.exists() and marker.exists():
        return db, json.loads(marker.read_text())
    for p in bench_dir.glob(f"telemetry-{n}.sqlite3*"):
        p.unlink()
    engine = make_engine(f"sqlite:///{db}")
    upgrade_to_head(engine)
    t = time.perf_counter()
    counts = seed_demo(engine, n, seed=1, end=datetime(2026, 11, 1, tzinfo=timezone.utc), days=180)
    counts["seed_seconds"] = round(time.perf_counter() - t, 1)
    engine.dispose()
    with contextlib.closing(sqlite3.connect(db)) as raw:  # outside any transaction
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.execute("ANALYZE")
    engine.dispose()
    marker.write_text(json.dumps(counts))
    return db, counts


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--n", type=int, default=1_000_000, help="conversations to seed (default 1,000,000)"
    )
    ap.add_argument("--dir", type=Path, default=ROOT / "var" / "bench")
    ap.add_argument(
        "--writes", type=int, default=2000, help="conversations for the write benchmark"
    )
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    print(
        f"survey writes: {bench_writes(args.dir, args.writes):,.0f} writes/s (SQLite, ask+answer via TelemetryStore)"
    )

    db, counts = ensure_data(args.dir, args.n)
    print(f"data: {db} {counts}")
    env = dict(os.environ, CX_TELEMETRY_DB_URL=f"sqlite:///{db}", CX_PSEUDONYM_KEY="bench-key")
    cli = [sys.executable, "-m", "cx_telemetry.cli"]
    rows: list[tuple[str, float, float, float]] = []  # name, wall s, peak RSS MB, CPU s

    sqlite3_cli = shutil.which("sqlite3")
    base: tuple[float, float, float] | None = None
    if sqlite3_cli:
        base = measure(
            [sqlite3_cli, "-csv", str(db), BASELINE_SQL],
            stdout=str(args.dir / "baseline.csv"),
            env=env,
        )
        rows.append(("sqlite3 -csv (baseline)", *base))
    else:
        print("sqlite3 CLI not found: baseline unavailable (apt-get install -y sqlite3)")
    for fmt in ("csv", "parquet"):
        out = args.dir / f"responses.{fmt}"
        rows.append(
            (
                f"cx-telemetry export {fmt}",
                *measure(
                    [*cli, "export", "--what", "responses", "--format", fmt, "--out", str(out)],
                    env=env,
                ),
            )
        )
    since = (datetime(2026, 11, 1) - timedelta(days=180)).strftime("%Y-%m-%d")
    reports = (
        ("report --json", ["--json"]),
        ("report --json --since", ["--json", "--since", since]),
        ("report --json --by week", ["--json", "--by", "week"]),
        ("report --json --by channel", ["--json", "--by", "channel"]),
        ("report --html", ["--html", str(args.dir / "report.html")]),
    )
    for label, extra in reports:
        rows.append((f"cx-telemetry {label}", *measure([*cli, "report", *extra], env=env)))

    print(
        f"\n{'command':<38} {'wall s':>8} {'CPU s':>7} {'peak RSS MB':>12} {'wall vs sqlite3':>16} {'CPU vs sqlite3':>15}"
    )
    for name, wall, rss, cpu in rows:
        ratio = f"{wall / base[0]:.2f}x" if base and "export" in name else ""
        cpu_ratio = f"{cpu / base[2]:.2f}x" if base and "export" in name else ""
        print(f"{name:<38} {wall:>8.2f} {cpu:>7.2f} {rss:>12.1f} {ratio:>16} {cpu_ratio:>15}")
    exports = [r for r in rows if "export" in r[0]]
    reps = [r for r in rows if "report" in r[0]]
    print(
        f"\ngoals (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; wall times suffer under load):"
    )
    if base:
        print(
            "  export within 1.5x of sqlite3 CLI (wall): "
            + ", ".join(f"{n.split()[-1]} {w / base[0]:.2f}x" for n, w, _, _ in exports)
        )
    print(f"  peak RSS < 300 MB: max {max(r for _, _, r, _ in exports + reps):.0f} MB")
    print(
        f"  report < 3 s on {counts['conversations']:,} conversations: "
        + ", ".join(f"{n.split(' ', 1)[1]} {w:.2f}s" for n, w, _, _ in reps)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
