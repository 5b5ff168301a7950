"""The HTML report in a real browser (headless Chromium) at desktop and phone width: nothing
sticks out sideways, every section is there, and no two chart labels overlap, whatever the
number of weeks. Screenshots go to var/report-<width>px.png for a person to look at.

Chromium comes from the Debian package (``.ci/run`` installs it). Without it the test is
skipped, unless ``CX_E2E_REQUIRED=1`` (``make test-unit``), where a missing browser fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cx_telemetry import TelemetryStore
from cx_telemetry.report_html import SECTIONS, page
from cx_telemetry.report_model import collect
from cx_telemetry.report_sql import Period
from cx_telemetry.seed import seed_demo

from .chromium import Chromium, find_chromium

ROOT = Path(__file__).resolve().parents[2]
END = datetime(2026, 6, 3, 15, tzinfo=timezone.utc)  # a Wednesday: the last week is partial
WIDTHS = (1400, 390)

LAYOUT = """(() => {
  const boxes = (svg) => [...svg.querySelectorAll('text')]
    .map((t) => ({text: t.textContent, r: t.getBoundingClientRect()}))
    .filter((b) => b.r.width > 0);
  const overlaps = [];
  let labels = 0;
  for (const svg of document.querySelectorAll('svg')) {
    const bs = boxes(svg);
    labels += svg.querySelectorAll('text.axis').length;
    for (let i = 0; i < bs.length; i++) for (let j = i + 1; j < bs.length; j++) {
      const a = bs[i].r, b = bs[j].r;
      if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
        overlaps.push([svg.getAttribute('aria-label'), bs[i].text, bs[j].text]);
    }
  }
  return JSON.stringify({
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    sections: [...document.querySelectorAll('main > section')].map((s) => s.id),
    overlaps, labels, charts: document.querySelectorAll('svg').length,
  });
})()"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CX_E2E_REQUIRED") == "1":
            pytest.fail("Chromium is missing: apt-get install -y chromium chromium-driver")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    with Chromium(binary) as browser:
        yield browser


def _report(store: TelemetryStore, tmp_path: Path, days: int, name: str) -> Path:
    # four weeks more than the period, so the headline has a previous period to compare with
    seed_demo(store.engine, 40 * (days + 28), seed=days, end=END, days=days + 28)
    at = END + timedelta(hours=2)  # the newest comment of its intent
    cid = store.open_conversation(channel="telegram", customer_id="telegram:7", at=at)
    store.note_intent(cid, "get_refund", at=at)  # an intent with many comments: shown
    agent = "Maximiliane Wolkenstein-Hohenberg (U0123456)"
    store.survey_asked(cid, metric="csat", segment="agent", agent=agent, at=at)
    store.survey_answered(cid, metric="csat", score=1, at=at)
    store.survey_comment(cid, metric="csat", comment="x" * 300 + " <b>unbroken</b>")  # no spaces
    period = Period(END - timedelta(days=days), END + timedelta(hours=3), now=END)
    path = tmp_path / name
    path.write_text(page(collect(store.engine, period, weekly=True, comments=True), "intent"))
    assert "x" * 300 in path.read_text()
    return path


@pytest.mark.parametrize("days", [140, 730], ids=["20-weeks", "104-weeks"])
def test_report_layout_in_chromium(
    chromium: Chromium, store: TelemetryStore, tmp_path: Path, days: int
) -> None:
    path = _report(store, tmp_path, days, f"report-{days}d.html")
    for width in WIDTHS:
        tab = chromium.open(path.as_uri(), width)
        layout = json.loads(tab.evaluate(LAYOUT))
        assert layout["innerWidth"] == width  # the viewport meta works: no zoomed-out page
        assert layout["scrollWidth"] <= layout["innerWidth"], f"sideways scroll at {width}px"
        assert layout["sections"] == [s.id for s in SECTIONS]
        assert layout["overlaps"] == [], f"overlapping labels at {width}px"
        assert layout["charts"] >= 14 and layout["labels"] > 100
        if days == 140:
            (ROOT / "var").mkdir(exist_ok=True)
            tab.screenshot(ROOT / "var" / f"report-{width}px.png")
