"""Durable containment in the report: a contained conversation whose customer comes back about
the same topic within 7 days no longer counts; one back after 8 days still does; conversations
still inside their 7-day window are "not yet known"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cx_telemetry import TelemetryStore
from cx_telemetry.report import build_report
from cx_telemetry.report_html import page
from cx_telemetry.report_model import collect
from cx_telemetry.report_sql import Period
from cx_telemetry.report_terminal import render

from .conftest import T0

DAY = timedelta(days=1)
END = T0 + 20 * DAY


def _visit(store: TelemetryStore, chat: str, at: Any, intent: str) -> str:
    cid = store.open_conversation(channel=chat.split(":")[0], customer_id=chat, at=at)
    store.note_intent(cid, intent, at=at)
    store.close_conversation(cid, at=at + timedelta(minutes=5))
    return cid


def _durable(store: TelemetryStore, by: str | None = None) -> dict[str, Any]:
    return build_report(store.engine, since=T0, until=END, by=by)


def test_a_recontact_within_7_days_flips_durable_containment(store: TelemetryStore) -> None:
    first = _visit(store, "telegram:1", T0, "track_order")
    store.link_customer(first, "telegram:1", "C1001", until=END, at=T0)
    again = store.open_conversation(channel="slack", customer_id="slack:D1:U1", at=T0 + 6 * DAY)
    store.link_customer(again, "slack:D1:U1", "C1001", until=END, at=T0 + 6 * DAY)
    before = _durable(store)["overall"]["durable_containment_pct"]
    assert (before["value"], before["n"]) == (100.0, 1)  # the comeback has no topic yet

    store.note_intent(again, "track_order", at=T0 + 6 * DAY)  # the same question, on Slack
    store.close_conversation(again, at=T0 + 6 * DAY + timedelta(minutes=5))
    report = _durable(store, by="channel")
    overall = report["overall"]
    assert (overall["containment_pct"]["value"], overall["containment_pct"]["n"]) == (100.0, 2)
    durable = overall["durable_containment_pct"]
    assert (durable["value"], durable["n"]) == (50.0, 2)  # the first one came back
    assert durable["ci95"] == [9.4531, 90.5469]  # Wilson, 1 of 2
    assert report["by"]["telegram"]["durable_containment_pct"]["value"] == 0.0
    assert report["by"]["slack"]["durable_containment_pct"]["value"] == 100.0


def test_a_comeback_after_8_days_leaves_durable_containment_as_it_was(
    store: TelemetryStore,
) -> None:
    _visit(store, "telegram:2", T0, "get_refund")
    _visit(store, "telegram:2", T0 + 8 * DAY, "get_refund")  # 8 days after the first closed
    durable = _durable(store)["overall"]["durable_containment_pct"]
    assert (durable["value"], durable["n"]) == (100.0, 2)


def test_conversations_inside_their_window_are_not_yet_known(store: TelemetryStore) -> None:
    _visit(store, "telegram:3", T0, "get_refund")
    _visit(store, "telegram:4", END - 3 * DAY, "get_refund")  # closed 3 days before the end
    report = _durable(store)
    assert report["overall"]["durable_containment_pct"]["n"] == 1
    assert report["overall"]["containment_pct"]["n"] == 2
    assert report["period"]["durable_containment_not_yet_known"] == 1
    assert report["period"]["durable_containment_settled_before"] == "2026-03-15T09:00:00Z"

    data = collect(store.engine, Period(T0, END))
    text = render(data)
    assert "Durable containment %" in text
    assert "1 closed later or still open: not yet known." in text
    html = page(data)
    assert "Durable containment %" in html and "not yet known" in html
