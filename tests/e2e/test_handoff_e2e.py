"""Human handoff against the real engine and action server: ``action_handoff`` pauses the
conversation, the gateway posts the staff card, resumes the engine on Resolve and triggers
``EXTERNAL_handoff_resolved`` so the real survey asks about the agent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.handoff.texts import CANCELLED_TEXT
from cx_telemetry import TelemetryStore
from cx_telemetry.models import Handoff, SurveyResponse
from tests.bot.conftest import Running, running
from tests.bot.fakes import FakeTelegram
from tests.bot.handoff_fakes import StaffSlack
from tests.bot.test_handoff import STAFF, _card_ts, buttons, card_updates, cards, press, staff_says
from tests.bot.test_telegram import message, post, sent_texts

from .conftest import Stack, gateway_settings

pytestmark = pytest.mark.engine


@pytest.fixture
async def fake_slack() -> AsyncIterator[StaffSlack]:
    server = await StaffSlack().start()
    yield server
    await server.stop()


@pytest.fixture
async def desk(
    stack: Stack, fake_tg: FakeTelegram, fake_slack: StaffSlack
) -> AsyncIterator[Running]:
    settings = gateway_settings(
        stack, fake_tg, fake_slack, slack_staff_channel=STAFF,
        handoff_timeout=timedelta(minutes=10), instance_id="gw-e2e-desk",
    )  # fmt: skip
    store = TelemetryStore.from_settings(stack.telemetry)
    async with running(settings, store) as gw:
        yield gw


async def test_handoff_with_the_real_engine(
    desk: Running, fake_tg: FakeTelegram, fake_slack: StaffSlack, stack: Stack
) -> None:
    chat = 5151
    assert await post(desk, message("I want to talk to a human", chat_id=chat)) == 200
    texts = sent_texts(fake_tg)
    assert any("in line; the usual wait is about" in t for t in texts), texts
    assert len(cards(fake_slack)) == 1
    hid = buttons(cards(fake_slack)[-1])["handoff_claim"]
    ts = _card_ts(desk, hid)

    # paused: the engine is not asked; the message is in the thread
    assert await post(desk, message("my order 10002 never came", chat_id=chat)) == 200
    assert any("never came" in str(c.params.get("text")) for c in fake_slack.of("chat.postMessage"))
    await press(desk, "handoff_claim", hid, "UANA", ts)
    await staff_says(desk, "I'm on it, sending a replacement.", ts)
    assert sent_texts(fake_tg)[-1] == "Ana: I'm on it, sending a replacement."

    await press(desk, "handoff_resolve", hid, "UANA", ts)
    assert "Resolved by <@UANA>" in card_updates(fake_slack)[-1]
    calls = [c.params for c in fake_tg.of("sendMessage")]
    assert str(calls[-1].get("text")).startswith(
        "How satisfied are you with the help you got today?"
    ), calls[-4:]

    store = TelemetryStore.from_settings(stack.telemetry)
    row = store.run(lambda s: s.get(Handoff, hid))
    assert row is not None and row.outcome == "resolved" and row.agent == "Ana (UANA)"
    assert row.reason == "customer_request" and row.first_reply_at is not None
    survey = store.run(
        lambda s: s.scalars(
            select(SurveyResponse).where(SurveyResponse.conversation_id == row.conversation_id)
        ).all()
    )
    assert [(r.metric, r.segment, r.agent) for r in survey] == [("csat", "agent", "Ana (UANA)")]

    # the engine is live again: the rating is understood
    assert await post(desk, message("5", chat_id=chat)) == 200
    assert sent_texts(fake_tg)[-1].startswith("How much do you agree: Brightcart made it easy")


async def test_cancel_and_return_hand_the_chat_back_to_the_real_engine(
    desk: Running, fake_tg: FakeTelegram, fake_slack: StaffSlack
) -> None:
    chat = 5252
    assert await post(desk, message("can I speak to a real person?", chat_id=chat)) == 200
    assert any("in line" in t for t in sent_texts(fake_tg))
    assert await post(desk, message("never mind", chat_id=chat)) == 200
    assert sent_texts(fake_tg)[-1] == CANCELLED_TEXT
    assert await post(desk, message("where is my order 10002?", chat_id=chat)) == 200
    assert any("#10002" in t for t in sent_texts(fake_tg)[-3:]), sent_texts(fake_tg)[-3:]

    assert await post(desk, message("I want to talk to a human", chat_id=chat)) == 200
    hid = buttons(cards(fake_slack)[-1])["handoff_return"]
    ts = _card_ts(desk, hid)
    await press(desk, "handoff_return", hid, "UBO", ts)
    assert "handed you back to the assistant" in sent_texts(fake_tg)[-1]
    assert await post(desk, message("where is my order 10002?", chat_id=chat)) == 200
    assert any("#10002" in t for t in sent_texts(fake_tg)[-3:]), sent_texts(fake_tg)[-3:]
