"""``cx-telemetry digest --slack CHANNEL`` against the fake Slack Web API: the headline with
its change, the three most-complained-about intents, and the HTML report uploaded in the
digest's thread; a period without data says so."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from cx_telemetry import TelemetryStore
from cx_telemetry.cli import main
from tests.fakes.slack_files import FileSlack

from .conftest import T0
from .fixtures import WEEK2, build_world

CHANNEL = "CCXLEADS"
# CSAT answers in the week of WEEK2, by intent (plus conversation E of build_world: 4)
ANSWERS = {
    "order_status": [1, 1, 1, 1, 5],
    "return_item": [2, 2, 2],
    "payment_issue": [1, 2, 4],
    "delivery_time": [1, 5],
}


@pytest.fixture
async def slack() -> AsyncIterator[FileSlack]:
    server = await FileSlack().start()
    yield server
    await server.stop()


@pytest.fixture
def env(store: TelemetryStore, slack: FileSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", store.settings.db_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-digest-test")
    monkeypatch.setenv("SLACK_API_BASE_URL", slack.base_url)


def rated_week(store: TelemetryStore) -> None:
    build_world(store)
    n = 0
    for intent, scores in ANSWERS.items():
        for score in scores:
            n += 1
            at = WEEK2 + timedelta(hours=n)
            cid = store.open_conversation(channel="telegram", customer_id=f"telegram:9{n}", at=at)
            store.note_intent(cid, intent, at=at)
            store.survey_asked(cid, metric="csat", at=at + timedelta(minutes=1))
            store.survey_answered(cid, metric="csat", score=score, at=at + timedelta(minutes=2))
            store.close_conversation(cid, at=at + timedelta(minutes=3))


async def digest(*args: str) -> int:
    # the CLI's Slack client blocks: run it off the loop the fake Slack serves on
    return await asyncio.to_thread(main, ["digest", "--slack", CHANNEL, *args])


async def test_digest_posts_headline_top_complaints_and_the_report(
    store: TelemetryStore, slack: FileSlack, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    rated_week(store)
    assert await digest("--since", "2026-03-09", "--until", "2026-03-15") == 0
    [post] = slack.of("chat.postMessage")
    assert post.params["channel"] == CHANNEL
    text = "\n".join(b["text"]["text"] for b in post.params["blocks"])
    assert "CX digest: 2026-03-09 to 2026-03-15 (7 days)" in text
    # CSAT 4 of 14 answers were 4-5; the week before 1 of 2: the change and its test
    assert "*CSAT*: 28.6% (n=14); -21.4 pts, not a change (p = " in text
    assert "*Containment*" in text and "*Response rate*" in text
    assert "*NPS*" not in text  # NPS is off: no answers, no line
    top = text.split("Most complained-about intents")[1]
    assert top.index("1. *order status*: 4 dissatisfied of 6 rated (67%)") < top.index(
        "2. *return item*: 3 dissatisfied of 3 rated (100%)"
    ) < top.index("3. *payment issue*: 2 dissatisfied of 3 rated (67%)")  # fmt: skip
    assert "delivery time" not in top

    # the HTML report, uploaded in the digest's thread
    [complete] = slack.of("files.completeUploadExternal")
    assert complete.params["channel_id"] == CHANNEL
    # (the fake reads form values as JSON, so the ts arrives as a number)
    assert f"{float(complete.params['thread_ts']):.6f}" == "1700000000.000001"
    [uploaded] = complete.params["files"]
    html = slack.uploads[uploaded["id"]].decode()
    assert html.lower().startswith("<!doctype html>") and "order_status" in html
    assert slack.of("files.getUploadURLExternal")[0].params["filename"] == (
        "cx-report-2026-03-09-to-2026-03-15.html"
    )
    assert "posted the digest" in capsys.readouterr().out


async def test_digest_of_a_period_without_data_says_so(
    store: TelemetryStore, slack: FileSlack, env: None
) -> None:
    rated_week(store)
    assert await digest("--since", "2027-01-04") == 0
    [post] = slack.of("chat.postMessage")
    assert "nothing to report" in json.dumps(post.params["blocks"])
    assert "2027-01-04 to 2027-01-10" in post.params["text"]
    assert slack.of("files.getUploadURLExternal") == []


async def test_digest_needs_the_slack_token(
    store: TelemetryStore,
    env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    assert await digest() == 2
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err


async def test_slack_refusing_the_digest_is_one_line(
    store: TelemetryStore,
    slack: FileSlack,
    env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rated_week(store)
    slack.failures["chat.postMessage"] = [404]
    assert await digest("--since", "2026-03-09") == 1
    assert capsys.readouterr().err.startswith("cx-telemetry: error: Slack refused the digest")
    assert T0  # the world starts on T0


async def test_the_digest_has_nps_once_it_has_answers(
    store: TelemetryStore, slack: FileSlack, env: None
) -> None:
    rated_week(store)
    for n, score in enumerate((10, 9, 3)):
        at = WEEK2 + timedelta(hours=30 + n)
        cid = store.open_conversation(channel="slack", customer_id=f"slack:D{n}:U{n}", at=at)
        store.survey_asked(cid, metric="nps", at=at)
        store.survey_answered(cid, metric="nps", score=score, at=at + timedelta(minutes=1))
    assert await digest("--since", "2026-03-09", "--until", "2026-03-15") == 0
    text = "\n".join(b["text"]["text"] for b in slack.of("chat.postMessage")[0].params["blocks"])
    assert "*NPS*: +33.3 (n=3); no data before" in text
