"""The report equals an independent recomputation from the exports: every figure of the period
and of the previous one, the change and its test, bot vs agent and the score distributions.

The recomputation reads the CSV exports with the csv module and counts row by row in plain
Python, with its own Wilson interval and its own tests (normal tails: the samples are large,
where Welch's t is the normal to 1e-3). Durations are exported rounded to 0.1 s, so means may
differ by 0.05 s; every count must be equal.
"""

from __future__ import annotations

import csv
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cx_telemetry import TelemetryStore
from cx_telemetry.export import export
from cx_telemetry.metrics import t975
from cx_telemetry.report import build_report
from cx_telemetry.seed import seed_demo

END = datetime(2026, 6, 1, tzinfo=timezone.utc)
SINCE = END - timedelta(days=28)
BEFORE = SINCE - timedelta(days=28)
Z = 1.959963984540054
WEEK = timedelta(days=7)


def _rows(store: TelemetryStore, tmp_path: Path, what: str) -> list[dict[str, str]]:
    out = tmp_path / f"{what}.csv"
    export(store.engine, what, "csv", out)
    with open(out, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _in(rows: list[dict[str, str]], col: str, lo: datetime, hi: datetime) -> list[dict[str, str]]:
    return [r for r in rows if lo <= _when(r[col]) < hi]


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def share(k: int, n: int) -> dict[str, Any]:
    return {"value": 100 * k / n, "n": n, "ci95": list(wilson(k, n))}


def mean(values: list[float], lo: float, hi: float | None) -> dict[str, Any]:
    n, m = len(values), sum(values) / len(values)
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    half = t975(n - 1) * s / math.sqrt(n)
    return {
        "value": m,
        "n": n,
        "ci95": [max(lo, m - half), m + half if hi is None else min(hi, m + half)],
    }


def figures(
    resp: list[dict[str, str]],
    conv: list[dict[str, str]],
    hand: list[dict[str, str]],
    end: datetime,
) -> dict[str, Any]:
    csat = [int(r["score"]) for r in resp if r["metric"] == "csat" and r["status"] == "answered"]
    ces = [int(r["score"]) for r in resp if r["metric"] == "ces" and r["status"] == "answered"]
    nps = [int(r["score"]) for r in resp if r["metric"] == "nps" and r["status"] == "answered"]
    asked = [r for r in resp if r["metric"] == "csat"]
    support = [c for c in conv if c["last_support_intent"]]
    contained = [c for c in support if c["closed_at"] and c["has_handoff"] == "0"]
    durations = {
        k: [float(h[k]) for h in hand if h[k]] for k in ("wait_s", "first_response_s", "handle_s")
    }
    return {
        "csat_pct": share(sum(s >= 4 for s in csat), len(csat)),
        "ces_mean": mean([float(s) for s in ces], 1.0, 7.0),
        "ces_easy_pct": share(sum(s >= 5 for s in ces), len(ces)),
        # % promoters minus % detractors, its interval that of the mean of +100/0/-100
        "nps": nps_of(nps),
        "response_rate_pct": share(sum(r["status"] == "answered" for r in asked), len(asked)),
        "containment_pct": share(len(contained), len(support)),
        "durable_containment_pct": durable_of(support, end),
        "escalation_pct": share(sum(c["has_handoff"] == "1" for c in support), len(support)),
        "handoff_wait_s": mean(durations["wait_s"], 0.0, None),
        "agent_first_response_s": mean(durations["first_response_s"], 0.0, None),
        "handle_time_s": mean(durations["handle_s"], 0.0, None),
        "_raw": {
            "csat": csat,
            "ces": ces,
            "nps": [100.0 if s >= 9 else -100.0 if s <= 6 else 0.0 for s in nps],
            **durations,
        },
    }


def durable_of(support: list[dict[str, str]], end: datetime) -> dict[str, Any]:
    """Contained and not recontacted, of the support conversations closed 7+ days before the
    period's end (the later ones are not yet known)."""
    settled = [c for c in support if c["closed_at"] and _when(c["closed_at"]) <= end - WEEK]
    durable = [c for c in settled if c["has_handoff"] == "0" and c["recontacted"] == "0"]
    return share(len(durable), len(settled)) if settled else {"value": None, "n": 0}


def nps_of(scores: list[int]) -> dict[str, Any]:
    """NPS from the 0-10 answers: % promoters (9-10) minus % detractors (0-6)."""
    pro, det = sum(s >= 9 for s in scores), sum(s <= 6 for s in scores)
    points = [100.0 if s >= 9 else -100.0 if s <= 6 else 0.0 for s in scores]
    return {**mean(points, -100, 100), "value": 100 * (pro - det) / len(scores)}


def _same(got: dict[str, Any], want: dict[str, Any], tol: float) -> None:
    assert got["n"] == want["n"]
    assert got["value"] == pytest.approx(want["value"], abs=tol)
    assert got["ci95"] == pytest.approx(want["ci95"], abs=tol)


def test_report_equals_the_recomputation_from_the_exports(
    store: TelemetryStore, tmp_path: Path
) -> None:
    seed_demo(store.engine, 4000, seed=11, end=END, days=56)
    resp = _rows(store, tmp_path, "responses")
    conv = _rows(store, tmp_path, "conversations")
    hand = _rows(store, tmp_path, "handoffs")
    report = build_report(store.engine, since=SINCE, until=END)

    now = figures(_in(resp, "asked_at", SINCE, END), _in(conv, "opened_at", SINCE, END),
                  _in(hand, "requested_at", SINCE, END), END)  # fmt: skip
    before = figures(_in(resp, "asked_at", BEFORE, SINCE), _in(conv, "opened_at", BEFORE, SINCE),
                     _in(hand, "requested_at", BEFORE, SINCE), SINCE)  # fmt: skip
    for key, want in now.items():
        if key != "_raw":
            tol = 0.06 if key.endswith("_s") else 1e-3  # durations exported to 0.1 s
            _same(report["overall"][key], want, tol)
            _same(report["previous"][key], before[key], tol)

    # the change and its test
    for key in (
        "csat_pct",
        "containment_pct",
        "durable_containment_pct",
        "escalation_pct",
        "response_rate_pct",
    ):
        a, b = now[key], before[key]
        ka, kb = round(a["value"] * a["n"] / 100), round(b["value"] * b["n"] / 100)
        pooled = (ka + kb) / (a["n"] + b["n"])
        z = (ka / a["n"] - kb / b["n"]) / math.sqrt(
            pooled * (1 - pooled) * (1 / a["n"] + 1 / b["n"])
        )
        change = report["change"][key]
        assert change["difference"] == pytest.approx(a["value"] - b["value"], abs=1e-3)
        assert change["p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), abs=1e-3)
        assert change["significant"] == (math.erfc(abs(z) / math.sqrt(2)) < 0.05)
    for key, raw in (
        ("ces_mean", "ces"),
        ("nps", "nps"),
        ("handoff_wait_s", "wait_s"),
        ("handle_time_s", "handle_s"),
    ):
        xs, ys = now["_raw"][raw], before["_raw"][raw]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        vx = sum((v - mx) ** 2 for v in xs) / (len(xs) - 1) / len(xs)
        vy = sum((v - my) ** 2 for v in ys) / (len(ys) - 1) / len(ys)
        p = math.erfc(abs(mx - my) / math.sqrt(vx + vy) / math.sqrt(2))
        change = report["change"][key]
        assert change["difference"] == pytest.approx(mx - my, abs=0.06)
        assert change["p_value"] == pytest.approx(p, abs=5e-3)
    assert any(c["significant"] for c in report["change"].values())  # the seed drifts

    # bot vs agent
    period = _in(resp, "asked_at", SINCE, END)
    for segment in ("bot", "agent"):
        csat = [int(r["score"]) for r in period if r["segment"] == segment and r["metric"] == "csat"
                and r["status"] == "answered"]  # fmt: skip
        _same(
            report["bot_vs_agent"][segment]["csat_pct"],
            share(sum(s >= 4 for s in csat), len(csat)),
            1e-3,
        )
        nps = [int(r["score"]) for r in period if r["segment"] == segment and r["metric"] == "nps"
               and r["status"] == "answered"]  # fmt: skip
        _same(report["bot_vs_agent"][segment]["nps"], nps_of(nps), 1e-3)
    by_channel = build_report(store.engine, since=SINCE, until=END, by="channel")["by"]
    in_period = _in(conv, "opened_at", SINCE, END)
    for channel in ("telegram", "slack"):
        mine = [c for c in in_period if c["channel"] == channel and c["last_support_intent"]]
        want = durable_of(mine, END)
        _same(by_channel[channel]["durable_containment_pct"], want, 1e-3)
    by_week = build_report(store.engine, since=SINCE, until=END, by="week")["by"]
    for k in range(4):  # Monday weeks; the period's cut-off (END - 7 days) holds for each
        lo = SINCE + k * WEEK
        mine = [c for c in _in(conv, "opened_at", lo, lo + WEEK) if c["last_support_intent"]]
        got = by_week[lo.date().isoformat()]["durable_containment_pct"]
        if k < 3:
            _same(got, durable_of(mine, END), 1e-3)
        else:  # the last week is not yet known
            assert got == {"value": None, "n": 0, "ci95": None} and durable_of(mine, END)["n"] == 0
        nps = [int(r["score"]) for r in period if r["channel"] == channel and r["metric"] == "nps"
               and r["status"] == "answered"]  # fmt: skip
        assert len(nps) > 30
        _same(by_channel[channel]["nps"], nps_of(nps), 1e-3)
    convs = _in(conv, "opened_at", SINCE, END)
    bot_closed = [
        c for c in convs if c["last_support_intent"] and c["closed_at"] and c["has_handoff"] == "0"
    ]
    resolved = [
        h
        for h in _in(hand, "requested_at", SINCE, END)
        if h["outcome"] == "resolved" and h["agent"]
    ]
    assert report["bot_vs_agent"]["bot"]["conversations"] == len(bot_closed)
    assert report["bot_vs_agent"]["agent"]["conversations"] == len(resolved)

    # distributions and the synthetic count
    csat_scores = now["_raw"]["csat"]
    assert report["distributions"]["csat"] == {str(s): csat_scores.count(s) for s in range(1, 6)}
    nps_scores = [
        int(r["score"]) for r in period if r["metric"] == "nps" and r["status"] == "answered"
    ]
    assert report["distributions"]["nps"] == {str(s): nps_scores.count(s) for s in range(0, 11)}
    assert (
        report["period"]["synthetic_conversations"]
        == len(convs)
        == report["period"]["conversations"]
    )
