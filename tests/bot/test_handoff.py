"""Human handoff end to end: Telegram / Slack customers, the staff card and thread in Slack,
the real ``action_handoff`` and ``action_start_survey`` behind a fake engine, one database."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from actions import context
from actions.verification import Chat, CodeOutcome
from actions.verification.codes import read_code
from bot import Settings
from bot.handoff.cases import CaseRepository
from bot.handoff.texts import CANCELLED_TEXT, NO_DESK_TEXT, TIMEOUT_TEXT
from bot.state.database import GatewayDatabase
from contract import utcnow
from cx_telemetry import Settings as TelemetrySettings
from cx_telemetry import TelemetryStore
from cx_telemetry.models import Handoff, SurveyResponse, TranscriptTurn
from tests.bot.conftest import Running, running, wait_for
from tests.bot.fakes import FakeSlack, FakeTelegram
from tests.bot.handoff_fakes import HandoffEngine, NamedTelegram, StaffSlack
from tests.bot.test_slack import dm, event, send, send_form
from tests.bot.test_telegram import message, post, sent_texts
from tests.databases import DOWN_PG_URL


def cases(store: TelemetryStore) -> CaseRepository:
    """The staff desk's cases (gateway tables, in the same test database as telemetry)."""
    return CaseRepository(GatewayDatabase(store.settings.db_url))


ROOT = Path(__file__).resolve().parents[2]
STAFF = "CSTAFF"
DAY = timedelta(days=1)
_ids = itertools.count(1)


@pytest.fixture
async def fake_rasa() -> AsyncIterator[HandoffEngine]:
    server = await HandoffEngine(token="rasa-token").start()
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
    return replace(settings, slack_staff_channel=STAFF, handoff_timeout=timedelta(minutes=10))


@pytest.fixture(autouse=True)
def action_server_env(
    telemetry_settings: TelemetrySettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The actions (run inside the fake engine) use the same database as the gateway."""
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", telemetry_settings.db_url)
    monkeypatch.setenv("CX_PSEUDONYM_KEY", str(telemetry_settings.pseudonym_key))
    monkeypatch.setenv("CX_TELEMETRY_OUTBOX", str(telemetry_settings.outbox_dir))
    monkeypatch.setenv("CX_SURVEY_CONFIG", str(ROOT / "survey.yml"))
    context.reset_caches()
    yield
    context.reset_caches()


# -- Slack staff helpers ---------------------------------------------------------------------


def staff_posts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [c.params for c in slack.of("chat.postMessage") if c.params.get("channel") == STAFF]


def cards(slack: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in staff_posts(slack) if "thread_ts" not in p]


def thread(slack: FakeSlack, ts: str) -> list[str]:
    return [str(p.get("text")) for p in staff_posts(slack) if p.get("thread_ts") == ts]


def card_updates(slack: FakeSlack) -> list[str]:
    return [str(c.params.get("text")) for c in slack.of("chat.update")]


def last_card_blocks(slack: FakeSlack) -> list[dict[str, Any]]:
    return list(slack.of("chat.update")[-1].params["blocks"])


def buttons(card: dict[str, Any]) -> dict[str, str]:
    blocks = card["blocks"]
    return {
        e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]
    }


def staff_reply(text: str, ts: str, user: str = "UANA") -> dict[str, Any]:
    return event(
        {
            "type": "message",
            "channel": STAFF,
            "channel_type": "channel",
            "user": user,
            "text": text,
            "ts": f"1700000100.{next(_ids):06d}",
            "thread_ts": ts,
        }
    )


async def press(gw: Running, action_id: str, hid: str, user: str, card_ts: str = "") -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": f"trig{next(_ids)}",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
        "container": {"type": "message", "message_ts": card_ts, "channel_id": STAFF},
        "channel": {"id": STAFF, "name": "support-desk"},
        "message": {"ts": card_ts, "text": "card", "blocks": []},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "handoff_card_buttons",
                "value": hid,
                "action_ts": f"1700000200.{next(_ids):06d}",
            }
        ],
    }
    r = await send_form(gw, {"payload": json.dumps(payload)})
    assert r.status_code == 200
    await drain(gw)


async def drain(gw: Running) -> None:
    """Wait for listener tasks that run after Slack's ack."""
    for _ in range(3):
        for channel in (gw.services.staff, gw.services.slack):
            if channel is not None:
                await channel.inflight.drain()


async def staff_says(gw: Running, text: str, ts: str, user: str = "UANA") -> None:
    r = await send(gw, staff_reply(text, ts, user))
    assert r.status_code == 200
    await drain(gw)


def handoff_row(store: TelemetryStore, hid: str) -> Handoff:
    row = store.run(lambda s: s.get(Handoff, hid))
    assert row is not None
    return row


async def escalate_on_telegram(
    gw: Running, tg: FakeTelegram, slack: FakeSlack, chat: int = 42
) -> tuple[str, str]:
    """The customer says hello, then asks for a person; returns (handoff id, card ts)."""
    before = len(cards(slack))
    assert await post(gw, message("hello there", chat_id=chat)) == 200
    assert await post(gw, message("agent", chat_id=chat)) == 200
    await wait_for(lambda: len(cards(slack)) == before + 1)
    hid = buttons(cards(slack)[-1])["handoff_resolve"]
    return hid, _card_ts(gw, hid)


def _card_ts(gw: Running, hid: str) -> str:
    case = gw.services.cases.case(hid)
    assert case is not None and case.card_ts
    return case.card_ts


# -- the whole loop ----------------------------------------------------------------------------


async def test_whole_loop_telegram_customer_and_slack_staff(
    gw: Running,
    fake_tg: FakeTelegram,
    fake_slack: StaffSlack,
    fake_rasa: HandoffEngine,
    store: TelemetryStore,
) -> None:
    hid, ts = await escalate_on_telegram(gw, fake_tg, fake_slack)

    # the customer is told what happens next and their place in line; no raw payload leaks
    told = sent_texts(fake_tg)[-1]
    assert "You're next in line; the usual wait is about 5 minutes" in told
    assert "handoff" not in told and "{" not in told
    keyboard = fake_tg.of("sendMessage")[-1].params["reply_markup"]
    assert "/handoff_cancel" in json.dumps(keyboard)

    # the card: channel, pseudonym, reason, intents, transcript, buttons
    card = cards(fake_slack)[-1]
    rendered = json.dumps(card["blocks"])
    assert "Waiting for a person" in rendered and "telegram" in rendered
    assert "customer request" in rendered and "contact_human_agent" in rendered
    assert "Customer: hello there" in rendered and "Bot: You said: hello there" in rendered
    assert store.pseudonym("telegram:42")[:8] in rendered and "Ann Example" in rendered
    assert set(buttons(card)) == {
        "handoff_claim", "handoff_resolve", "handoff_return", "handoff_no_survey"
    }  # fmt: skip

    # while waiting, the customer's messages reach the thread and the engine is not called
    rest_calls = len(fake_rasa.of("rest"))
    assert await post(gw, message("my parcel arrived broken")) == 200
    await wait_for(lambda: "*Customer:* my parcel arrived broken" in thread(fake_slack, ts))
    assert len(fake_rasa.of("rest")) == rest_calls
    assert sent_texts(fake_tg)[-1] == told  # the bot stays silent

    # claim: card updated in place, customer told, telemetry records the agent
    await press(gw, "handoff_claim", hid, "UANA", ts)
    assert "Claimed by <@UANA>" in card_updates(fake_slack)[-1]
    assert fake_slack.of("chat.update")[-1].params["ts"] == ts
    assert sent_texts(fake_tg)[-1] == "Ana from our support team has joined the chat."
    assert handoff_row(store, hid).agent == "Ana (UANA)"

    # staff reply in the thread reaches the customer as a person; // notes stay internal
    await staff_says(gw, "So sorry! I'm sending a new one today.", ts)
    assert sent_texts(fake_tg)[-1] == "Ana: So sorry! I'm sending a new one today."
    await staff_says(gw, "// warehouse has stock, ticket #991", ts)
    assert all("warehouse" not in t for t in sent_texts(fake_tg))
    assert await post(gw, message("thank you!")) == 200
    await wait_for(lambda: "*Customer:* thank you!" in thread(fake_slack, ts))

    # resolve: engine resumed, EXTERNAL_handoff_resolved with the agent, survey delivered
    await press(gw, "handoff_resolve", hid, "UANA", ts)
    assert [c.params["event"] for c in fake_rasa.of("events")][-2:] == ["resume", "action"]
    trigger = fake_rasa.of("trigger_intent")[-1].params
    assert trigger["name"] == "EXTERNAL_handoff_resolved"
    assert trigger["entities"] == {"agent": "Ana (UANA)"}
    texts = sent_texts(fake_tg)
    assert any("closed this chat" in t for t in texts)
    assert "two quick questions" in " ".join(texts[-3:])
    assert "Resolved by <@UANA>" in card_updates(fake_slack)[-1]

    # telemetry: the handoff row with its agent and times, the survey in segment "agent"
    row = handoff_row(store, hid)
    assert row.outcome == "resolved" and row.reason == "customer_request"
    assert row.claimed_at and row.first_reply_at and row.resolved_at
    assert row.wait_s is not None and row.first_response_s is not None and row.handle_s is not None
    survey = store.run(
        lambda s: s.scalars(
            select(SurveyResponse).where(SurveyResponse.conversation_id == row.conversation_id)
        ).all()
    )
    assert [(r.segment, r.agent, r.status) for r in survey] == [("agent", "Ana (UANA)", "asked")]
    trail = cases(store).actions(hid)
    assert [a for a, _, _ in trail] == ["requested", "claim", "resolve"]
    assert [u for _, u, _ in trail] == [None, "UANA", "UANA"]

    # back with the bot: the next message goes to the engine again
    assert await post(gw, message("5")) == 200
    assert fake_rasa.of("rest")[-1].params["message"] == "5"


async def test_timeout_offers_a_message_and_keeps_the_case_open(
    gw: Running, fake_tg: FakeTelegram, fake_slack: StaffSlack, store: TelemetryStore
) -> None:
    hid, ts = await escalate_on_telegram(gw, fake_tg, fake_slack)
    assert await gw.services.timers.run_once(gw.services.clock() + timedelta(minutes=5)) == 0
    fired = await gw.services.timers.run_once(gw.services.clock() + timedelta(minutes=11))
    assert fired == 1
    assert sent_texts(fake_tg)[-1] == TIMEOUT_TEXT
    assert "customer offered to leave a message" in card_updates(fake_slack)[-1]
    assert any("No claim within 10 min" in t for t in thread(fake_slack, ts))
    # the customer leaves a message and an address: it reaches the staff thread
    assert await post(gw, message("Please e-mail me at ann@example.com")) == 200
    await wait_for(lambda: any("ann@example.com" in t for t in thread(fake_slack, ts)))
    case = cases(store).case(hid)
    assert case is not None and case.is_open and case.follow_up_offered
    assert handoff_row(store, hid).resolved_at is None
    # ... and the address is kept on the case and shown on the card, the latest one winning
    assert case.contact_email == "ann@example.com"
    assert "<mailto:ann@example.com|ann@example.com>" in json.dumps(last_card_blocks(fake_slack))
    assert await post(gw, message("sorry, typo: ann.lee@example.org is right")) == 200
    await wait_for(lambda: "ann.lee@example.org" in json.dumps(last_card_blocks(fake_slack)))
    case = cases(store).case(hid)
    assert case is not None and case.contact_email == "ann.lee@example.org"
    # each message left is acknowledged, with the address the reply goes to
    assert sent_texts(fake_tg)[-1] == (
        "Thanks, we have your message and will reply to ann.lee@example.org."
    )
    # "Back to the assistant" keeps the case open for the follow-up
    assert await post(gw, message("/handoff_cancel")) == 200
    assert sent_texts(fake_tg)[-1].startswith(
        "You're back with the assistant. We've kept your message and will reply to "
        "ann.lee@example.org."
    )
    case = cases(store).case(hid)
    assert case is not None and case.is_open and case.status == "follow_up"
    assert handoff_row(store, hid).outcome is None  # not cancelled: someone follows up
    assert "Follow up" in card_updates(fake_slack)[-1]
    assert set(buttons({"blocks": last_card_blocks(fake_slack)})) == {
        "handoff_claim",
        "handoff_resolve",
        "handoff_no_survey",
    }
    # the customer is with the assistant again
    assert await post(gw, message("where is my order")) == 200
    assert sent_texts(fake_tg)[-1] == "You said: where is my order"
    # staff pick it up later: the reply reaches the chat and claims the case
    await staff_says(gw, "Hi Ann, I've got your message about the parcel.", ts)
    assert sent_texts(fake_tg)[-1] == "Ana: Hi Ann, I've got your message about the parcel."
    case = cases(store).case(hid)
    assert case is not None and case.status == "claimed"


async def test_cancel_goes_back_to_the_bot(
    gw: Running,
    fake_tg: FakeTelegram,
    fake_slack: StaffSlack,
    fake_rasa: HandoffEngine,
    store: TelemetryStore,
) -> None:
    hid, ts = await escalate_on_telegram(gw, fake_tg, fake_slack)
    assert await post(gw, message("Never mind")) == 200
    assert sent_texts(fake_tg)[-1] == CANCELLED_TEXT
    assert [c.params["event"] for c in fake_rasa.of("events")][-2:] == ["resume", "action"]
    assert "Cancelled by the customer" in card_updates(fake_slack)[-1]
    assert handoff_row(store, hid).outcome == "cancelled"
    assert await post(gw, message("where is my order")) == 200
    assert sent_texts(fake_tg)[-1] == "You said: where is my order"
    # a staff reply after the cancel does not reach the customer
    await staff_says(gw, "Hello?", ts)
    assert "Ana: Hello?" not in sent_texts(fake_tg)
    assert fake_slack.of("chat.postEphemeral")


async def test_gateway_restart_mid_handoff_restores_the_case(
    settings: Settings,
    store: TelemetryStore,
    fake_tg: FakeTelegram,
    fake_slack: StaffSlack,
    fake_rasa: HandoffEngine,
) -> None:
    async with running(settings, store) as first:
        hid, ts = await escalate_on_telegram(first, fake_tg, fake_slack)
    async with running(settings, store) as second:  # a new process: nothing in memory
        await staff_says(second, "Hi, Ana here. Let me check.", ts)
        assert sent_texts(fake_tg)[-1] == "Ana: Hi, Ana here. Let me check."
        assert await post(second, message("ok, thanks")) == 200
        await wait_for(lambda: "*Customer:* ok, thanks" in thread(fake_slack, ts))
        await press(second, "handoff_resolve", hid, "UANA", ts)
    assert handoff_row(store, hid).outcome == "resolved"


async def test_second_gateway_serves_staff_replies_and_actions(
    settings: Settings,
    store: TelemetryStore,
    fake_tg: FakeTelegram,
    fake_slack: StaffSlack,
    fake_rasa: HandoffEngine,
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        one = await stack.enter_async_context(running(settings, store))
        two = await stack.enter_async_context(
            running(replace(settings, instance_id="gw-two"), store)
        )
        hid, ts = await escalate_on_telegram(one, fake_tg, fake_slack)
        await staff_says(two, "Hello from the desk", ts)  # served by the other gateway
        assert sent_texts(fake_tg)[-1] == "Ana: Hello from the desk"
        assert handoff_row(store, hid).agent == "Ana (UANA)"  # replying claimed it
        assert await post(two, message("great")) == 200
        await wait_for(lambda: "*Customer:* great" in thread(fake_slack, ts))
        # a second claim (on either gateway) is refused, not doubled
        await press(one, "handoff_claim", hid, "UBO", ts)
        assert handoff_row(store, hid).agent == "Ana (UANA)"
        await press(one, "handoff_resolve", hid, "UANA", ts)
        assert handoff_row(store, hid).outcome == "resolved"
        assert len(fake_rasa.of("trigger_intent")) == 1


async def test_resolve_by_someone_else_asks_for_confirmation(
    gw: Running,
    fake_tg: FakeTelegram,
    fake_slack: StaffSlack,
    fake_rasa: HandoffEngine,
    store: TelemetryStore,
) -> None:
    hid, ts = await escalate_on_telegram(gw, fake_tg, fake_slack)
    await press(gw, "handoff_claim", hid, "UANA", ts)
    await press(gw, "handoff_resolve", hid, "UBO", ts)
    ask = fake_slack.of("chat.postEphemeral")[-1].params
    assert ask["user"] == "UBO" and "Ana" in ask["text"]
    assert "handoff_resolve_confirmed" in json.dumps(ask["blocks"])
    case = cases(store).case(hid)
    assert case is not None and case.is_open  # nothing happened yet
    assert fake_rasa.of("trigger_intent") == []

    await press(gw, "handoff_resolve_confirmed", hid, "UBO", ts)
    row = handoff_row(store, hid)
    assert row.outcome == "resolved" and row.agent == "Ana (UANA)"  # the agent who helped
    assert fake_rasa.of("trigger_intent")[-1].params["entities"] == {"agent": "Ana (UANA)"}
    assert "Resolved by <@UBO>" in card_updates(fake_slack)[-1]
    trail = cases(store).actions(hid)
    assert [(a, u) for a, u, _ in trail] == [
        ("requested", None),
        ("claim", "UANA"),
        ("resolve_confirm", "UBO"),
        ("resolve", "UBO"),
    ]


async def test_slack_customer_return_to_bot_and_concurrent_cases(
    gw: Running,
    fake_tg: FakeTelegram,
    fake_slack: StaffSlack,
    fake_rasa: HandoffEngine,
    store: TelemetryStore,
) -> None:
    await escalate_on_telegram(gw, fake_tg, fake_slack, chat=42)
    # a second customer, on Slack, escalates while the first case is still waiting
    assert (await send(gw, event(dm("agent", user="U1")))).status_code == 200
    await drain(gw)

    def dms() -> list[dict[str, Any]]:
        return [c.params for c in fake_slack.of("chat.postMessage") if c.params["channel"] == "D1"]

    await wait_for(lambda: len(dms()) == 1)
    assert len(cards(fake_slack)) == 2
    assert "You're #2 in line" in dms()[-1]["text"]
    card = cards(fake_slack)[-1]
    assert "Carla Customer" in json.dumps(card["blocks"])
    hid = buttons(card)["handoff_return"]
    ts = _card_ts(gw, hid)

    await staff_says(gw, "Hi Carla!", ts, user="UBO")
    assert dms()[-1]["text"] == "Bo: Hi Carla!"
    assert (await send(gw, event(dm("it is about my invoice", user="U1")))).status_code == 200
    await drain(gw)
    await wait_for(lambda: "*Customer:* it is about my invoice" in thread(fake_slack, ts))

    await press(gw, "handoff_return", hid, "UBO", ts)
    assert "handed you back to the assistant" in dms()[-1]["text"]
    assert "Returned to the bot by <@UBO>" in card_updates(fake_slack)[-1]
    assert handoff_row(store, hid).outcome == "returned"
    assert fake_rasa.of("trigger_intent") == []  # no survey: the conversation goes on
    info = store.get_conversation(handoff_row(store, hid).conversation_id)
    assert info is not None and info.closed_at is None
    # the Telegram customer's case is untouched and still waiting
    telegram_case = cases(store).open_case_for("telegram:42")
    assert telegram_case is not None and telegram_case.status == "waiting"


async def test_slack_customer_cancels_with_the_button(
    gw: Running, fake_slack: StaffSlack, fake_rasa: HandoffEngine, store: TelemetryStore
) -> None:
    assert (await send(gw, event(dm("agent", user="U1")))).status_code == 200
    await drain(gw)

    def dms() -> list[dict[str, Any]]:
        return [c.params for c in fake_slack.of("chat.postMessage") if c.params["channel"] == "D1"]

    await wait_for(lambda: len(dms()) == 1)
    blocks = dms()[0]["blocks"]
    actions = [b for b in blocks if b["type"] == "actions"][0]
    pressed = actions["elements"][0]
    assert pressed["value"] == "/handoff_cancel"
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "api_app_id": "A1",
        "token": "t",
        "trigger_id": "trig-cancel",
        "container": {"type": "message", "message_ts": "1700000000.000009", "channel_id": "D1"},
        "channel": {"id": "D1"},
        "message": {"type": "message", "ts": "1700000000.000009", "text": "x", "blocks": blocks},
        "actions": [{**pressed, "block_id": actions["block_id"], "action_ts": "1700000001.9"}],
    }
    r = await send_form(gw, {"payload": json.dumps(payload)})
    assert r.status_code == 200
    await drain(gw)
    await wait_for(lambda: dms()[-1]["text"] == CANCELLED_TEXT)
    assert cases(store).open_case_for("slack:D1:U1") is None
    # the same button pressed again later: acknowledged, nothing changes
    payload["actions"][0]["action_ts"] = "1700000002.1"  # type: ignore[index]
    await send_form(gw, {"payload": json.dumps(payload)})
    await drain(gw)
    await wait_for(lambda: dms()[-1]["text"] == "Already got it, thanks!")
    assert all(c.params["message"] != "/handoff_cancel" for c in fake_rasa.of("rest"))


async def test_without_a_staff_channel_a_message_is_offered_at_once_not_a_queue(
    settings: Settings, store: TelemetryStore, fake_tg: FakeTelegram, fake_slack: StaffSlack
) -> None:
    async with running(replace(settings, slack_staff_channel=None), store) as gw:
        assert await post(gw, message("agent")) == 200
        assert sent_texts(fake_tg)[-1] == NO_DESK_TEXT
        assert not any("in line" in t or "busy" in t for t in sent_texts(fake_tg))
        assert "Back to the assistant" in json.dumps(fake_tg.of("sendMessage")[-1].params)
        assert await gw.services.timers.run_once() == 0  # no "everyone is busy" after that
        assert await post(gw, message("The lamp arrived broken, write to jane@example.com")) == 200
        assert sent_texts(fake_tg)[-1] == (
            "Thanks, we have your message and will reply to jane@example.com."
        )
        [case] = cases(store).open_cases()
        assert case.contact_email == "jane@example.com" and case.follow_up_offered
        assert fake_slack.of("chat.postMessage") == []


async def test_engine_down_at_resolve_changes_nothing(
    gw: Running,
    fake_tg: FakeTelegram,
    fake_slack: StaffSlack,
    fake_rasa: HandoffEngine,
    store: TelemetryStore,
) -> None:
    hid, ts = await escalate_on_telegram(gw, fake_tg, fake_slack)
    fake_rasa.down = True
    await press(gw, "handoff_resolve", hid, "UANA", ts)
    assert "not reachable" in fake_slack.of("chat.postEphemeral")[-1].params["text"]
    case = cases(store).case(hid)
    assert case is not None and case.is_open
    fake_rasa.down = False
    await press(gw, "handoff_resolve", hid, "UANA", ts)
    assert handoff_row(store, hid).outcome == "resolved"


async def test_slack_down_at_escalation_gives_the_customer_back_to_the_bot(
    gw: Running,
    fake_tg: FakeTelegram,
    fake_slack: StaffSlack,
    fake_rasa: HandoffEngine,
    store: TelemetryStore,
) -> None:
    fake_slack.failures["chat.postMessage"] = [500] * 10
    assert await post(gw, message("agent")) == 200
    assert "can't reach our support team" in sent_texts(fake_tg)[-1]
    assert cases(store).open_case_for("telegram:42") is None
    assert [c.params["event"] for c in fake_rasa.of("events")][-2:] == ["resume", "action"]
    fake_slack.failures.clear()
    assert await post(gw, message("where is my order")) == 200
    assert sent_texts(fake_tg)[-1] == "You said: where is my order"


async def test_return_by_someone_else_asks_first_and_can_be_dismissed(
    gw: Running, fake_tg: FakeTelegram, fake_slack: StaffSlack, store: TelemetryStore
) -> None:
    hid, ts = await escalate_on_telegram(gw, fake_tg, fake_slack)
    await press(gw, "handoff_claim", hid, "UANA", ts)
    await press(gw, "handoff_return", hid, "UBO", ts)
    ask = fake_slack.of("chat.postEphemeral")[-1].params
    assert ask["user"] == "UBO" and "handoff_return_confirmed" in json.dumps(ask["blocks"])
    await press(gw, "handoff_dismiss", hid, "UBO", ts)
    case = cases(store).case(hid)
    assert case is not None and case.status == "claimed"
    # the claiming agent returns it without being asked
    await press(gw, "handoff_return", hid, "UANA", ts)
    assert handoff_row(store, hid).outcome == "returned"
    assert [(a, u) for a, u, _ in cases(store).actions(hid)][-3:] == [
        ("return_confirm", "UBO"),
        ("dismiss", "UBO"),
        ("return", "UANA"),
    ]


async def test_hostile_and_long_customer_text_reaches_staff_literally(
    gw: Running, fake_tg: FakeTelegram, fake_slack: StaffSlack, fake_rasa: HandoffEngine
) -> None:
    long = "It broke again. " * 400  # 6,400 characters
    assert await post(gw, message(long)) == 200  # in the transcript, the newest turn but one
    hid, ts = await escalate_on_telegram(gw, fake_tg, fake_slack)
    transcript = json.dumps(cards(fake_slack)[-1]["blocks"])
    assert "Last 0 turns" not in transcript and "It broke again." in transcript
    hostile = "<!channel> <@U024BE7LH> <https://evil.example|Reset your password> & co"
    assert await post(gw, message(hostile)) == 200
    await wait_for(lambda: any("evil.example" in t for t in thread(fake_slack, ts)))
    [post_text] = [t for t in thread(fake_slack, ts) if "evil.example" in t]
    assert post_text == (
        "*Customer:* &lt;!channel&gt; &lt;@U024BE7LH&gt; "
        "&lt;https://evil.example|Reset your password&gt; &amp; co"
    )
    assert await post(gw, message(long)) == 200
    await wait_for(lambda: sum("It broke again." in t for t in thread(fake_slack, ts)) >= 3)
    assert all(len(t) <= 3000 for t in thread(fake_slack, ts))
    # a staff reply in Slack markup reads naturally on Telegram
    await staff_says(gw, "*Sorry!* See <https://shop.example/returns|our returns page> :wave:", ts)
    last = fake_tg.of("sendMessage")[-1].params
    assert last["text"] == (
        'Ana: <b>Sorry!</b> See <a href="https://shop.example/returns">our returns page</a> 👋'
    )


async def test_staff_mark_no_survey_on_the_card_and_the_customer_gets_none(
    gw: Running,
    fake_tg: FakeTelegram,
    fake_slack: StaffSlack,
    fake_rasa: HandoffEngine,
    store: TelemetryStore,
) -> None:
    hid, ts = await escalate_on_telegram(gw, fake_tg, fake_slack)
    await press(gw, "handoff_claim", hid, "UANA", ts)
    await press(gw, "handoff_no_survey", hid, "UANA", ts)
    blocks = last_card_blocks(fake_slack)
    assert "None after this case (marked No survey)" in json.dumps(blocks)
    assert "handoff_no_survey" not in buttons({"blocks": blocks})
    assert "No survey: Ana marked this case" in " ".join(thread(fake_slack, ts))
    await press(gw, "handoff_no_survey", hid, "UBO", ts)  # a second press changes nothing
    await staff_says(gw, "Hi! Your order ships today.", ts)
    assert await post(gw, message("my card is 4111 1111 1111 1111")) == 200
    await wait_for(lambda: "4111 1111 1111 1111" in " ".join(thread(fake_slack, ts)))

    await press(gw, "handoff_resolve", hid, "UANA", ts)
    texts = sent_texts(fake_tg)
    assert any("closed this chat" in t for t in texts)
    assert not any("two quick questions" in t for t in texts)
    assert "Resolved by Ana; no survey (marked No survey)." in thread(fake_slack, ts)[-1]
    cid = handoff_row(store, hid).conversation_id
    rows = store.run(
        lambda s: s.scalars(
            select(SurveyResponse).where(SurveyResponse.conversation_id == cid)
        ).all()
    )
    assert rows == []
    info = store.get_conversation(cid)
    assert info is not None and info.not_surveyed == "staff"
    trail = cases(store).actions(hid)
    assert [a for a, _, _ in trail] == ["requested", "claim", "no_survey", "resolve"]
    # the conversation's transcript, as the review queue shows it: every side, redacted
    turns = store.run(
        lambda s: [
            (t.by, t.text)
            for t in s.scalars(
                select(TranscriptTurn)
                .where(TranscriptTurn.conversation_id == cid)
                .order_by(TranscriptTurn.id)
            )
        ]
    )
    assert ("customer", "hello there") in turns and ("bot", "You said: hello there") in turns
    assert ("agent", "Ana: Hi! Your order ships today.") in turns
    assert ("customer", "my card is [card]") in turns


# -- who is asking: a verified customer on the card ----------------------------------------


async def test_card_of_a_verified_customer_shows_who_their_orders_and_past_conversations(
    gw: Running,
    fake_tg: FakeTelegram,
    fake_slack: StaffSlack,
    fake_rasa: HandoffEngine,
    store: TelemetryStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOP_DEMO_DB", str(tmp_path / "shop.sqlite3"))
    monkeypatch.setenv("SHOP_MAILDIR", str(tmp_path / "mail"))
    context.reset_caches()
    verification = context.verification()
    verification.db.migrate()
    # Ana (C1001) came on Slack three days ago about an order and rated it
    now = utcnow()
    before = store.open_conversation(channel="slack", customer_id="slack:D1:U1", at=now - 3 * DAY)
    store.link_customer(before, "slack:D1:U1", "C1001", until=now + 30 * DAY, at=now - 3 * DAY)
    store.note_intent(before, "track_order", at=now - 3 * DAY)
    store.close_conversation(before, at=now - 3 * DAY)
    store.survey_asked(before, "csat", at=now - 3 * DAY)
    store.survey_answered(before, "csat", 4, at=now - 3 * DAY)
    # ... and today proves on Telegram who she is (the mailed code), then asks for a person
    chat = Chat("telegram:42")
    verification.request_code(chat, "ana.lopez@example.com")
    mail = next((tmp_path / "mail" / "new").iterdir()).read_bytes()
    code = read_code(str(message_from_bytes(mail, policy=policy.default)["Subject"]))
    assert code and verification.check_code(chat, code).outcome is CodeOutcome.VERIFIED

    await escalate_on_telegram(gw, fake_tg, fake_slack)
    card = json.dumps(cards(fake_slack)[-1]["blocks"], ensure_ascii=False)
    assert "Verified: Ana (customer since 20" in card and "orders)" in card
    assert "*Recent orders:* #10" in card  # newest first: number · status
    assert "slack: track order, solved by the bot; CSAT 4" in card
    assert "Not verified" not in card
    verification.db.dispose()


async def test_card_of_an_unverified_customer_says_not_verified(
    gw: Running, fake_tg: FakeTelegram, fake_slack: StaffSlack, fake_rasa: HandoffEngine,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("SHOP_DEMO_DB", str(tmp_path / "shop.sqlite3"))
    context.reset_caches()
    context.verification().db.migrate()
    await escalate_on_telegram(gw, fake_tg, fake_slack)
    card = json.dumps(cards(fake_slack)[-1]["blocks"], ensure_ascii=False)
    assert "*Not verified*" in card
    assert "Verified:" not in card and "Recent orders" not in card
    context.verification().db.dispose()


async def test_verification_down_the_handoff_goes_on_and_the_card_does_not_guess(
    gw: Running, fake_tg: FakeTelegram, fake_slack: StaffSlack, fake_rasa: HandoffEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("VERIFICATION_DB_URL", DOWN_PG_URL)
    context.reset_caches()
    await escalate_on_telegram(gw, fake_tg, fake_slack)
    assert "You're next in line" in sent_texts(fake_tg)[-1]
    card = json.dumps(cards(fake_slack)[-1]["blocks"], ensure_ascii=False)
    assert "Not known whether the chat is verified" in card and "Not verified" not in card
