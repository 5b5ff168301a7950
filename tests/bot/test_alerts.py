"""Detractor alerts end to end: a low CSAT in telemetry becomes one card in the CX alerts
channel of the fake Slack (once under replays and across gateways, at most once per customer in
the window), and its Follow up button, pressed as Slack sends it (signed), opens a case on the
staff desk that reaches the customer in their Telegram chat."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot import Settings
from bot.alerts.settings import AlertSettings
from bot.alerts.store import AlertStore
from bot.alerts.texts import ALREADY_TEXT, FOLLOW_UP_TEXT
from bot.alerts.transcript import StoredTranscripts, readable
from bot.state.database import GatewayDatabase
from bot.state.schema import TimerRow
from bot.telemetry import customer_text
from bot.threads import DbThreads
from cx_telemetry import TelemetryStore
from cx_telemetry.detractors import LowScore
from cx_telemetry.models import Conversation
from tests.bot.conftest import Running, running, wait_for
from tests.bot.fakes import FakeSlack
from tests.bot.handoff_fakes import HandoffEngine, NamedTelegram, StaffSlack
from tests.bot.test_slack import event, send, send_form
from tests.bot.test_telegram import message, post, sent_texts

ALERTS = "CALERTS"
STAFF = "CSTAFF"
_ids = itertools.count(1)


@pytest.fixture
async def fake_rasa() -> AsyncIterator[HandoffEngine]:
    server = await HandoffEngine(token="rasa-token").start()  # keeps a tracker per customer
    yield server
    await server.stop()


@pytest.fixture
async def fake_tg() -> AsyncIterator[NamedTelegram]:
    server = await NamedTelegram().start()
    yield server
    await server.stop()


@pytest.fixture
async def fake_slack() -> AsyncIterator[StaffSlack]:
    server = await StaffSlack().start()
    yield server
    await server.stop()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # poll_seconds=0: no background loop; the tests poll when they mean to
    alerts = AlertSettings(channel=ALERTS, poll_seconds=0, customer_cooldown=timedelta(hours=24))
    return replace(settings, slack_staff_channel=STAFF, alerts=alerts)


def alert_cards(slack: FakeSlack) -> list[dict[str, Any]]:
    return [c.params for c in slack.of("chat.postMessage") if c.params.get("channel") == ALERTS]


def staff_cards(slack: FakeSlack) -> list[dict[str, Any]]:
    posts = [c.params for c in slack.of("chat.postMessage") if c.params.get("channel") == STAFF]
    return [p for p in posts if "thread_ts" not in p]


def staff_thread(slack: FakeSlack, ts: str) -> list[str]:
    posts = [c.params for c in slack.of("chat.postMessage") if c.params.get("channel") == STAFF]
    return [str(p.get("text")) for p in posts if p.get("thread_ts") == ts]


def buttons(card: dict[str, Any]) -> dict[str, str]:
    return {
        e["action_id"]: e["value"]
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }


def conversation_of(store: TelemetryStore, sender: str) -> str:
    customer = store.pseudonym(sender)
    return str(
        store.run(
            lambda s: s.scalar(
                select(Conversation.id).where(
                    Conversation.customer == customer, Conversation.closed_at.is_(None)
                )
            )
        )
    )


async def rate(
    gw: Running,
    store: TelemetryStore,
    score: int,
    comment: str | None = "The parcel arrived broken. Call me on +44 7700 900123.",
    chat: int = 42,
    answered_ago: timedelta = timedelta(minutes=1),
) -> str:
    """The customer chats on Telegram, then gives ``score`` (and ``comment``); returns the
    conversation id. The answer is recorded as the action server records it."""
    assert (
        await post(gw, message("my parcel arrived broken, write to ann@example.com", chat)) == 200
    )
    cid = conversation_of(store, f"telegram:{chat}")
    at = datetime.now(timezone.utc) - answered_ago
    store.survey_asked(cid, "csat", intent="track_order", at=at - timedelta(seconds=20))
    store.survey_answered(cid, "csat", score, at=at)
    if comment is not None:
        store.survey_comment(cid, "csat", comment)
    return cid


async def press_follow_up(gw: Running, key: str, user: str, card_ts: str) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": f"trig{next(_ids)}",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
        "container": {"type": "message", "message_ts": card_ts, "channel_id": ALERTS},
        "channel": {"id": ALERTS, "name": "cx-alerts"},
        "message": {"ts": card_ts, "text": "alert", "blocks": []},
        "actions": [
            {
                "type": "button",
                "action_id": "cx_alert_follow_up",
                "block_id": "cx_alert_buttons",
                "value": key,
                "action_ts": f"1700000300.{next(_ids):06d}",
            }
        ],
    }
    r = await send_form(gw, {"payload": json.dumps(payload)})
    assert r.status_code == 200
    await drain(gw)


async def drain(gw: Running) -> None:
    for _ in range(3):
        for listener in (gw.services.alert_listener, gw.services.staff, gw.services.slack):
            if listener is not None:
                await listener.inflight.drain()


async def poll(gw: Running) -> int:
    assert gw.services.alerts is not None
    return await gw.services.alerts.poll_once()


async def test_a_low_score_is_one_card_under_replays_and_across_gateways(
    gw: Running, fake_slack: StaffSlack, store: TelemetryStore, settings: Settings
) -> None:
    cid = await rate(gw, store, 1)
    store.survey_answered(cid, "csat", 1)  # the same answer delivered again
    store.survey_answered(cid, "csat", 5)  # a late tap on the old keyboard
    assert await poll(gw) == 1
    assert await poll(gw) == 0
    async with running(settings, store) as second:  # another gateway on the same database
        assert await poll(second) == 0
    cards = alert_cards(fake_slack)
    assert len(cards) == 1
    shown = json.dumps(cards[0]["blocks"])
    assert "Detractor: CSAT 1/5" in shown
    assert "The parcel arrived broken. Call me on [phone]." in shown
    assert "7700" not in shown and "ann@example.com" not in shown
    assert "track order" in shown and "*Segment*\\nbot" in shown
    # the recent transcript, redacted
    assert "Customer: my parcel arrived broken, write to [email]" in shown
    assert buttons(cards[0]) == {"cx_alert_follow_up": f"{cid}:csat"}


async def test_the_card_waits_briefly_for_the_comment(
    gw: Running, fake_slack: StaffSlack, store: TelemetryStore
) -> None:
    cid = await rate(gw, store, 2, comment=None, answered_ago=timedelta(seconds=2))
    assert await poll(gw) == 0  # the survey is asking for the comment right now
    store.survey_comment(cid, "csat", "Nobody answered my question <!channel>")
    assert await poll(gw) == 1
    shown = json.dumps(alert_cards(fake_slack)[0]["blocks"])
    assert "Nobody answered my question &lt;!channel&gt;" in shown  # shown, never pinging
    # an answer left without a comment is alerted once the grace is over ...
    late = await rate(gw, store, 1, comment=None, chat=43, answered_ago=timedelta(seconds=45))
    assert await poll(gw) == 1
    assert "No comment given" in json.dumps(alert_cards(fake_slack)[1]["blocks"])
    # ... and a comment typed after that is added to the same card
    store.survey_comment(late, "csat", "Took ages")
    assert await poll(gw) == 0
    update = fake_slack.of("chat.update")[-1].params
    assert update["channel"] == ALERTS and "Took ages" in json.dumps(update["blocks"])
    assert len(alert_cards(fake_slack)) == 2
    await poll(gw)
    assert len(fake_slack.of("chat.update")) == 1  # once


async def test_one_card_per_customer_in_the_window_and_none_above_the_threshold(
    gw: Running, fake_slack: StaffSlack, store: TelemetryStore
) -> None:
    first = await rate(gw, store, 1)
    assert await poll(gw) == 1
    store.close_conversation(first)
    second = await rate(gw, store, 2, comment="Still broken")  # same customer, new conversation
    assert second != first
    assert await poll(gw) == 0
    await rate(gw, store, 3, chat=44)  # not a detractor (survey.yml: low at or below 2)
    assert await poll(gw) == 0
    await rate(gw, store, 2, comment="Too slow", chat=43)  # another customer
    assert await poll(gw) == 1
    texts = [json.dumps(c["blocks"]) for c in alert_cards(fake_slack)]
    assert len(texts) == 2 and "Too slow" in texts[1]
    assert not any("Still broken" in t for t in texts)


async def test_follow_up_opens_a_case_that_reaches_the_customer_in_their_chat(
    gw: Running, fake_slack: StaffSlack, fake_tg: NamedTelegram, store: TelemetryStore
) -> None:
    cid = await rate(gw, store, 1)
    assert await poll(gw) == 1
    card = alert_cards(fake_slack)[0]
    record = gw.services.alerts.store.record(f"{cid}:csat") if gw.services.alerts else None
    assert record is not None and record.card_ts
    await press_follow_up(gw, buttons(card)["cx_alert_follow_up"], "UANA", record.card_ts)

    # a case card in the staff channel, claimed by whoever pressed
    [case_card] = staff_cards(fake_slack)
    assert "detractor follow up" in json.dumps(case_card["blocks"])
    case = gw.services.cases.open_case_for("telegram:42")
    assert case is not None and case.status == "claimed" and case.claimed_by == "UANA"
    assert case.card_ts
    # the customer hears from Ana in their own chat
    assert FOLLOW_UP_TEXT.format(name="Ana") in sent_texts(fake_tg)
    # the alert card now says who followed up, without the button
    update = fake_slack.of("chat.update")[-1].params
    assert update["channel"] == ALERTS and update["ts"] == record.card_ts
    assert "Followed up by <@UANA>" in json.dumps(update["blocks"])
    assert "cx_alert_follow_up" not in json.dumps(update["blocks"])

    # a second press (another agent, or a double click): no second case
    await press_follow_up(gw, f"{cid}:csat", "UBO", record.card_ts)
    assert len(staff_cards(fake_slack)) == 1
    ephemeral = fake_slack.of("chat.postEphemeral")[-1].params
    assert ephemeral["user"] == "UBO" and ephemeral["text"] == ALREADY_TEXT

    # the customer's answer goes to the case thread, the agent's reply to the customer
    assert await post(gw, message("It was the blue teapot, order 55")) == 200
    assert "*Customer:* It was the blue teapot, order 55" in staff_thread(fake_slack, case.card_ts)
    reply = event({"type": "message", "channel": STAFF, "channel_type": "channel", "user": "UANA",
                   "text": "A new one is on its way", "ts": f"1700000400.{next(_ids):06d}",
                   "thread_ts": case.card_ts})  # fmt: skip
    assert (await send(gw, reply)).status_code == 200
    await drain(gw)
    assert "Ana: A new one is on its way" in sent_texts(fake_tg)


async def test_the_gateway_posts_by_itself_within_its_poll(
    with_settings: Any, fake_slack: StaffSlack, store: TelemetryStore
) -> None:
    settings = with_settings()
    quick = replace(settings.alerts, poll_seconds=0.05)
    async with running(replace(settings, alerts=quick), store) as gw:
        await rate(gw, store, 1)
        await wait_for(lambda: len(alert_cards(fake_slack)) == 1)


async def test_a_customer_whose_chat_is_gone_gets_a_card_without_the_button(
    gw: Running, fake_slack: StaffSlack, store: TelemetryStore
) -> None:
    await rate(gw, store, 1)
    GatewayDatabase(store.settings.db_url).run(lambda s: s.execute(delete(TimerRow)))
    assert await poll(gw) == 1
    card = alert_cards(fake_slack)[0]
    assert buttons(card) == {}
    assert "not on file" in json.dumps(card["blocks"])


def test_transcript_lines_are_redacted_and_survey_taps_named() -> None:
    assert readable("Customer: csat:1") == "Customer: (tapped CSAT 1)"
    assert readable("Customer: mail me at ann@example.com, card 4111 1111 1111 1111") == (
        "Customer: mail me at [email], card [card]"
    )
    assert readable("Bot: csat:1") == "Bot: csat:1"


async def test_the_card_shows_the_stored_transcript_else_the_engines(
    store: TelemetryStore,
) -> None:
    class Engine:
        asked: list[str] = []

        async def recent(self, conversation_id: str, sender_id: str | None) -> list[str]:
            self.asked.append(conversation_id)
            return ["Customer: from the engine"]

    threads = DbThreads(sqlite=True)
    engine = Engine()
    source = StoredTranscripts(store, threads, engine)
    cid = store.open_conversation(channel="telegram", customer_id="telegram:77")
    store.note_turn(cid, "customer", text="mail me at ann@example.com")
    store.note_turn(cid, "bot", text="Sorry! [Talk to a person]")
    store.note_turn(cid, "customer", text=customer_text("csat:1"))
    assert await source.recent(cid, "telegram:77") == [
        "Customer: mail me at [email]",
        "Bot: Sorry! [Talk to a person]",
        "Customer: (tapped CSAT 1)",
    ]
    assert engine.asked == []
    other = store.open_conversation(channel="telegram", customer_id="telegram:78")
    assert await source.recent(other, "telegram:78") == ["Customer: from the engine"]
    threads.close()


def _low(key: str, customer: str, at: datetime) -> LowScore:
    cid = key.split(":")[0]
    return LowScore(
        key, cid, "csat", 1, 5, at, None, None, "bot", None, "telegram", customer, False
    )


def test_claims_on_every_backend_one_winner_and_the_rate_limit(
    state_db: GatewayDatabase, second_db: GatewayDatabase
) -> None:
    now = datetime.now(timezone.utc)
    day = timedelta(hours=24)
    first, other = AlertStore(state_db), AlertStore(second_db)  # two gateways
    assert first.claim(_low("a" * 32 + ":csat", "k1", now), now, day) == "claimed"
    assert other.claim(_low("a" * 32 + ":csat", "k1", now), now, day) is None
    assert other.claim(_low("b" * 32 + ":csat", "k1", now), now, day) == "suppressed"
    assert other.claim(_low("c" * 32 + ":csat", "k2", now), now, day) == "claimed"
    # a claim whose gateway died before posting is taken over after the lease
    later = now + timedelta(minutes=3)
    assert other.claim(_low("a" * 32 + ":csat", "k1", now), later, day) == "claimed"
    assert first.known(["a" * 32 + ":csat", "d" * 32 + ":csat"]) == {"a" * 32 + ":csat"}
