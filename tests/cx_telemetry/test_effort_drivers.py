"""Effort drivers: CES with and without a fallback, a handoff, a long wait, many turns."""

from __future__ import annotations

from datetime import timedelta

from cx_telemetry import TelemetryStore
from cx_telemetry.report import build_report
from cx_telemetry.report_html import page
from cx_telemetry.report_model import collect
from cx_telemetry.report_sql import Period
from cx_telemetry.report_terminal import render

from .conftest import T0


def _conversation(store: TelemetryStore, i: int, ces: int, fallback: bool) -> None:
    t = T0 + timedelta(minutes=10 * i)
    cid = store.open_conversation(channel="telegram", customer_id=f"telegram:{i}", at=t)
    store.note_intent(cid, "order_status", at=t)
    for _ in range(3):
        store.note_turn(cid, "customer", at=t)
    if fallback:
        store.note_fallback(cid, at=t)
    store.survey_asked(cid, metric="ces", at=t + timedelta(minutes=1))
    store.survey_answered(cid, metric="ces", score=ces, at=t + timedelta(minutes=2))
    store.close_conversation(cid, at=t + timedelta(minutes=3))


def test_fallbacks_go_with_a_lower_ces(store: TelemetryStore) -> None:
    # with a fallback: CES 2, 3, 4 (mean 3); without: 6, 7, 5, 6 (mean 6)
    for i, ces in enumerate((2, 3, 4)):
        _conversation(store, i, ces, fallback=True)
    for i, ces in enumerate((6, 7, 5, 6), start=3):
        _conversation(store, i, ces, fallback=False)
    drivers = build_report(store.engine)["effort_drivers"]
    fb = drivers["fallback_or_clarification"]
    assert fb["with"]["n"] == 3 and fb["with"]["value"] == 3.0
    assert fb["without"]["n"] == 4 and fb["without"]["value"] == 6.0
    assert fb["difference"] == -3.0
    lo, hi = fb["difference_ci95"]
    assert lo < -3.0 < hi < 0  # the whole interval says: more effort with a fallback

    # nobody was handed off: one side is empty, so no difference and no interval
    ho = drivers["handoff"]
    assert ho["with"] == {"value": None, "n": 0, "ci95": None}
    assert ho["without"]["n"] == 7
    assert ho["difference"] is None and ho["difference_ci95"] is None
    assert drivers["more_than_8_customer_turns"]["with"]["n"] == 0
    assert drivers["customer_repeated"] == {
        "label": "the customer repeating themselves",
        "recorded": False,
        "note": "not recorded yet",
    }

    data = collect(store.engine, Period())
    text = render(data)
    assert "Effort drivers" in text and "a fallback or clarification offered" in text
    assert "-3.00" in text and "not recorded yet" in text
    html = page(data)
    assert '<section id="effort-drivers">' in html and "a form restarted" in html


def test_a_long_handoff_wait_is_a_driver(store: TelemetryStore) -> None:
    for i, (wait, ces) in enumerate(((300, 2), (400, 3), (30, 6), (60, 5))):
        t = T0 + timedelta(hours=i)
        cid = store.open_conversation(channel="slack", customer_id=f"slack:D:{i}", at=t)
        h = store.handoff_requested(cid, at=t)
        store.handoff_claimed(h, "ana", at=t + timedelta(seconds=wait))
        store.survey_asked(cid, metric="ces", at=t + timedelta(minutes=20))
        store.survey_answered(cid, metric="ces", score=ces, at=t + timedelta(minutes=21))
    d = build_report(store.engine)["effort_drivers"]
    assert d["handoff_wait_over_3_min"]["with"]["n"] == 2
    assert d["handoff_wait_over_3_min"]["difference"] == -3.0
    assert d["handoff"]["with"]["n"] == 4 and d["handoff"]["without"]["n"] == 0
