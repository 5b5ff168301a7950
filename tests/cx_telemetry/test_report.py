"""Every metric of ``report`` against the hand-computed world in fixtures.py."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cx_telemetry import TelemetryStore
from cx_telemetry.cli import main
from cx_telemetry.report import METRIC_KEYS, build_report
from cx_telemetry.report_comments import LOW, low_score_comments, low_scores
from cx_telemetry.report_html import page
from cx_telemetry.report_model import collect
from cx_telemetry.report_sql import Period
from cx_telemetry.report_terminal import render
from cx_telemetry.seed import seed_demo

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
    # t interval 4.5 ± 12.706 * 1.5 = [-14.6, 23.6], clamped to the 1-7 scale
    assert o["ces_mean"]["ci95"] == [1.0, 7.0]
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
    argv = ["report", "--json", "--by", "channel", "--since", "2026-03-01", "--until", "2026-03-08"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"]["csat_pct"]["n"] == 2 and set(data["by"]) == {"telegram", "slack"}
    assert data["metric_definitions_version"] == 5
    assert data["effort_drivers"]["form_restarted"]["recorded"] is False
    assert data["period"]["previous"] == {
        "since": "2026-02-21T00:00:00Z",
        "until": "2026-03-01T00:00:00Z",
    }  # 8 days

    assert main(["report"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("CX report: 2026-03-02 09:00 to ")
    assert "generated " in text and "5 conversations" in text
    assert "66.7%" in text and "20.8 to 93.9" in text and "Handle time" in text and "10 min" in text
    assert "1.00 to 7.00" in text  # the CES interval, clamped to the scale, written with "to"

    page = tmp_path / "report.html"
    assert main(["report", "--html", str(page), "--by", "intent"]) == 0
    html = page.read_text()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    for section in ("headline", "distributions", "trends", "bot-vs-agent", "by-channel",
                    "by-intent", "by-agent", "comments", "breakdown"):  # fmt: skip
        assert f'<section id="{section}">' in html
    assert "All figures by intent" in html and "payment_issue" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert 'width="100%"' in html and "viewBox=" in html and "@media print" in html
    assert "slow; write to me at [email]" in html  # the redacted comment, as stored


def _since(week: datetime) -> dict[str, Any]:
    return dict(since=week, until=week + timedelta(days=7))


def test_change_against_the_previous_period_of_equal_length(store: TelemetryStore) -> None:
    build_world(store)
    r = build_report(store.engine, **_since(WEEK2))
    assert _v(r["overall"]["csat_pct"]) == (100.0, 1) and _v(r["previous"]["csat_pct"]) == (50.0, 2)
    change = r["change"]["csat_pct"]
    # pooled p = 2/3; se = sqrt(2/3 * 1/3 * (1/1 + 1/2)) = 0.5774; z = 0.5 / 0.5774 = 0.866
    assert change["difference"] == 50.0 and change["test"] == "two-proportion z test"
    assert change["p_value"] == pytest.approx(0.3865, abs=1e-3) and change["significant"] is False
    assert r["change"]["handoff_wait_s"]["difference"] is None  # no handoff this week
    assert build_report(store.engine)["change"] is None  # no start, nothing to compare


def test_bot_vs_agent_and_distributions(store: TelemetryStore) -> None:
    build_world(store)
    r = build_report(store.engine)
    bot, agent = r["bot_vs_agent"]["bot"], r["bot_vs_agent"]["agent"]
    assert bot["conversations"] == 3 and agent["conversations"] == 1  # A, D, E; B's handoff
    assert _v(bot["csat_pct"]) == (100.0, 2) and _v(agent["csat_pct"]) == (0.0, 1)
    assert _v(bot["ces_mean"]) == (6.0, 1) and _v(agent["ces_mean"]) == (3.0, 1)
    assert r["bot_vs_agent"]["difference"]["csat_pct"]["difference"] == 100.0
    assert r["distributions"]["csat"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert r["distributions"]["ces"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 0, "6": 1, "7": 0}


def test_synthetic_rows_are_counted_and_can_be_left_out(store: TelemetryStore) -> None:
    build_world(store)
    real = build_report(store.engine)["overall"]
    seed_demo(store.engine, 200, seed=4, end=T0 + timedelta(days=14), days=14)
    mixed = build_report(store.engine)
    assert mixed["period"]["synthetic_conversations"] == 200
    assert mixed["period"]["conversations"] == 205
    only_real = build_report(store.engine, exclude_synthetic=True)
    assert only_real["overall"] == real and only_real["period"]["synthetic_conversations"] == 0


def test_html_escapes_comments_and_marks_partial_weeks(
    store: TelemetryStore, tmp_path: Path
) -> None:
    build_world(store)
    cid = store.open_conversation(channel="telegram", customer_id="telegram:9", at=WEEK2)
    store.note_intent(cid, "complaint", at=WEEK2)
    store.survey_asked(cid, metric="csat", at=WEEK2)
    store.survey_answered(cid, metric="csat", score=1, at=WEEK2 + timedelta(minutes=1))
    store.survey_comment(cid, metric="csat", comment="<script>alert(1)</script> & more")
    wednesday, thursday = (
        datetime(2026, 3, 4, tzinfo=timezone.utc),
        datetime(2026, 3, 12, tzinfo=timezone.utc),
    )
    period = Period(wednesday, thursday)
    html = page(collect(store.engine, period, weekly=True, comments=True))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "complaint <small>(1 comment)</small>" in html
    assert "The week of 2026-03-02 is partial (5.0 of 7 days" in html
    assert "The week of 2026-03-09 is partial (3.0 of 7 days" in html
    assert 'class="dot partial"' in html and "Includes synthetic data" not in html


def test_terminal_tables_per_breakdown(store: TelemetryStore) -> None:
    build_world(store)
    data = collect(store.engine, Period(), weekly=True)
    text = render(data, "agent")
    assert "By agent" in text and "Ana (U1)" in text and "too few to tell" in text
    assert "Containment" not in text.split("By agent", 1)[1]  # not a figure of an agent
    weekly = render(data, "week")
    assert "2026-03-02" in weekly and "2026-03-09" in weekly
    channel = render(data, "channel").split("By channel", 1)[1].splitlines()
    assert channel[1].startswith("channel ") and channel[3].startswith("slack ")
    assert "1 min n=1" in render(data, "intent")  # the handoff wait of payment_issue


def test_comment_thresholds_come_from_the_survey_file(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("CX_SURVEY_CONFIG", str(root / "survey.yml"))
    assert low_scores() == {"csat": 2, "ces": 3}
    monkeypatch.setenv("CX_SURVEY_CONFIG", str(tmp_path / "missing.yml"))
    assert low_scores() == LOW
    build_world(store)  # B: CSAT 2 with a comment
    period = Period()
    assert [g.intent for g in low_score_comments(store.engine, period)] == ["payment_issue"]
    assert low_score_comments(store.engine, period, {"csat": 1, "ces": 1}) == []


def test_nps_in_json_terminal_and_html(store: TelemetryStore) -> None:
    """NPS = % promoters (9-10) - % detractors (0-6): 3 promoters, 1 passive, 2 detractors of 6
    answers is +16.7, by channel and segment too."""
    build_world(store)
    for n, (channel, score) in enumerate(
        [
            ("telegram", 10),
            ("telegram", 9),
            ("slack", 9),
            ("slack", 7),
            ("slack", 6),
            ("telegram", 0),
        ]
    ):
        cid = store.open_conversation(channel=channel, customer_id=f"{channel}:nps{n}", at=WEEK2)
        store.note_intent(cid, "track_order", at=WEEK2)
        store.survey_asked(cid, metric="nps", at=WEEK2)
        store.survey_answered(cid, metric="nps", score=score, at=WEEK2 + timedelta(minutes=1))
    r = build_report(store.engine, by="channel")
    assert _v(r["overall"]["nps"]) == (16.667, 6)
    lo, hi = r["overall"]["nps"]["ci95"]
    assert -100 <= lo < 16.667 < hi <= 100
    assert _v(r["by"]["telegram"]["nps"]) == (33.333, 3)  # 2 promoters, 1 detractor
    assert _v(r["by"]["slack"]["nps"]) == (0.0, 3)  # 1 promoter, 1 passive, 1 detractor
    assert _v(r["bot_vs_agent"]["bot"]["nps"]) == (16.667, 6)
    assert r["distributions"]["nps"] == {str(s): int(s in (0, 6, 7, 10)) + 2 * (s == 9)
                                         for s in range(11)}  # fmt: skip
    data = collect(store.engine, Period())
    text = render(data, "channel")
    assert "NPS" in text and "+16.7" in text
    html = page(data)
    assert "NPS answers by score (0-10" in html and "+16.7" in html
    assert "n = 6 answers" in html


def test_surveys_not_asked_on_purpose_are_counted_by_reason(store: TelemetryStore) -> None:
    build_world(store)
    for n, reason in enumerate(("cooldown", "cooldown", "sampled_out", "staff")):
        cid = store.open_conversation(channel="telegram", customer_id=f"telegram:w{n}", at=WEEK2)
        store.note_intent(cid, "track_order", at=WEEK2)
        store.survey_not_asked(cid, reason)
    r = build_report(store.engine)
    assert r["surveys_not_asked"] == {"cooldown": 2, "sampled_out": 1, "staff": 1}
    assert build_report(store.engine, until=WEEK2)["surveys_not_asked"] == {
        "cooldown": 0, "sampled_out": 0, "staff": 0,
    }  # fmt: skip
    data = collect(store.engine, Period())
    line = ("Surveys not asked on purpose (survey.yml): 2 in the cooldown, 1 left out by "
            "sampling, 1 marked No survey by staff")  # fmt: skip
    assert line in render(data) and line in page(data)
