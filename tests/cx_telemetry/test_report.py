"""Every metric of ``report`` against the hand-computed world in fixtures.py."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from cx_telemetry import TelemetryStore
from cx_telemetry.cli import main
from cx_telemetry.report import METRIC_KEYS, build_report

from .conftest import T0
from .fixtures import WEEK2, build_world


def _v(metric: dict[str, object]) -> tuple[object, object]:
    value = metric["value"]
    return (None if value is None else round(float(value), 3), metric["n"])  # type: ignore[arg-type]


def test_overall_figures(store: TelemetryStore) -> None:
    build_world(store)
    o = build_report(store.engine)["overall"]
    assert set(o) == set(METRIC_KEYS)
    assert _v(o["csat_pct"]) == (66.667, 3)
    assert _v(o["ces_mean"]) == (4.5, 2)
    assert o["ces_mean"]["ci95"] == pytest.approx(
        [4.5 - 12.706 * 1.5, 4.5 + 12.706 * 1.5], abs=1e-3
    )
    assert _v(o["ces_easy_pct"]) == (50.0, 2)
    assert _v(o["response_rate_pct"]) == (60.0, 5)
    assert _v(o["containment_pct"]) == (75.0, 4)
    assert _v(o["escalation_pct"]) == (25.0, 4)
    assert o["handoff_wait_s"] == {"value": 60.0, "n": 1, "ci95": None}
    assert o["agent_first_response_s"] == {"value": 90.0, "n": 1, "ci95": None}
    assert o["handle_time_s"] == {"value": 600.0, "n": 1, "ci95": None}
    lo, hi = o["csat_pct"]["ci95"]
    assert lo == pytest.approx(20.765, abs=1e-2) and hi == pytest.approx(93.851, abs=1e-2)


def test_empty_period_is_null_with_n_zero(store: TelemetryStore) -> None:
    build_world(store)
    r = build_report(store.engine, since=T0 + timedelta(days=365))
    assert all(m == {"value": None, "n": 0, "ci95": None} for m in r["overall"].values())
    assert r["by"] == {}


def test_period_filters(store: TelemetryStore) -> None:
    build_world(store)
    week1 = build_report(store.engine, since=T0, until=WEEK2)["overall"]
    assert _v(week1["csat_pct"]) == (50.0, 2)
    assert _v(week1["containment_pct"]) == (66.667, 3)
    week2 = build_report(store.engine, since=WEEK2)["overall"]
    assert _v(week2["csat_pct"]) == (100.0, 1)
    assert _v(week2["handoff_wait_s"]) == (None, 0)


def test_by_channel_intent_agent_week(store: TelemetryStore) -> None:
    build_world(store)
    by = build_report(store.engine, by="channel")["by"]
    assert set(by) == {"telegram", "slack"}
    assert _v(by["slack"]["csat_pct"]) == (0.0, 1)
    assert _v(by["telegram"]["csat_pct"]) == (100.0, 2)
    assert _v(by["telegram"]["containment_pct"]) == (100.0, 3)
    assert _v(by["slack"]["escalation_pct"]) == (100.0, 1)
    assert _v(by["slack"]["handoff_wait_s"]) == (60.0, 1)

    intents = build_report(store.engine, by="intent")["by"]
    assert _v(intents["order_status"]["csat_pct"]) == (100.0, 2)
    assert _v(intents["payment_issue"]["handle_time_s"]) == (600.0, 1)
    assert _v(intents["(none)"]["response_rate_pct"]) == (0.0, 1)

    agents = build_report(store.engine, by="agent")["by"]
    assert _v(agents["Ana (U1)"]["csat_pct"]) == (0.0, 1)
    assert _v(agents["(bot)"]["csat_pct"]) == (100.0, 2)

    weeks = build_report(store.engine, by="week")["by"]
    assert set(weeks) == {"2026-03-02", "2026-03-09"}
    assert _v(weeks["2026-03-09"]["response_rate_pct"]) == (100.0, 1)


def test_weeks_start_on_monday_and_add_up_their_days(store: TelemetryStore) -> None:
    build_world(store)
    sunday = WEEK2 + timedelta(days=6, hours=12)  # Sunday 21:00 UTC, still the week of 03-09
    wednesday = WEEK2 + timedelta(days=9)  # the week of 2026-03-16
    for i, (at, score) in enumerate(((sunday, 1), (wednesday, 5))):
        cid = store.open_conversation(channel="slack", customer_id=f"slack:X:{i}", at=at)
        store.survey_asked(cid, metric="csat", at=at)
        store.survey_answered(cid, metric="csat", score=score, at=at)
    weeks = build_report(store.engine, by="week")["by"]
    assert set(weeks) == {"2026-03-02", "2026-03-09", "2026-03-16"}
    assert _v(weeks["2026-03-09"]["csat_pct"]) == (50.0, 2)  # Monday's 4 and Sunday's 1
    assert _v(weeks["2026-03-16"]["csat_pct"]) == (100.0, 1)


def test_report_on_an_empty_database(store: TelemetryStore) -> None:
    r = build_report(store.engine, by="week")
    assert r["by"] == {}
    assert r["overall"]["csat_pct"] == {"value": None, "n": 0, "ci95": None}


def _env(monkeypatch: pytest.MonkeyPatch, store: TelemetryStore) -> None:
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", store.settings.db_url)
    monkeypatch.setenv("CX_TELEMETRY_OUTBOX", str(store.settings.outbox_dir))
    monkeypatch.setenv("CX_PSEUDONYM_KEY", str(store.settings.pseudonym_key))


def test_cli_report_json_text_and_html(
    store: TelemetryStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    build_world(store)
    _env(monkeypatch, store)
    assert (
        main(
            [
                "report",
                "--json",
                "--by",
                "channel",
                "--since",
                "2026-03-01",
                "--until",
                "2026-03-08",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["overall"]["csat_pct"]["n"] == 2 and set(data["by"]) == {"telegram", "slack"}

    assert main(["report"]) == 0
    text = capsys.readouterr().out
    assert "CSAT" in text and "66.7%" in text and "n=3" in text

    page = tmp_path / "report.html"
    assert main(["report", "--html", str(page)]) == 0
    html = page.read_text()
    assert html.count("<svg") == 6 and "2026-03-02" in html and "slack" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html
