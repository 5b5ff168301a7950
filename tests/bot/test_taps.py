"""Double taps and late taps (issue #11, the survey): a keyboard is answered once, and a tap on
a survey that is over opens no conversation and never reads as "Sorry, I didn't get that"."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.messages import APOLOGY
from cx_telemetry import TelemetryStore
from cx_telemetry.models import Conversation, SurveyResponse
from tests.bot.conftest import Running
from tests.bot.fakes import Call, FakeRasa, FakeSlack, FakeTelegram
from tests.bot.test_slack import send_form
from tests.bot.test_telegram import message, post, sent_texts

_ids = itertools.count(50_000)


class SurveyEngine(FakeRasa):
    """A fake engine whose tracker says whether a customer's survey is running."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__(token=token)
        self.survey_active: dict[str, bool] = {}

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/conversations/{sender}/tracker", self.tracker)

    async def tracker(self, request: web.Request) -> web.Response:
        sender = request.raw_path.split("?")[0].split("/")[2]
        self.calls.append(Call("tracker", {"sender": sender}))
        return web.json_response(
            {"sender_id": sender, "slots": {"survey_active": self.survey_active.get(sender)}}
        )


@pytest.fixture
async def fake_rasa() -> AsyncIterator[SurveyEngine]:
    server = await SurveyEngine(token="rasa-token").start()
    yield server
    await server.stop()


def tap(data: str, message_id: int, chat_id: int = 42) -> dict[str, Any]:
    return {
        "update_id": next(_ids),
        "callback_query": {
            "id": f"cb-{next(_ids)}",
            "from": {"id": 7, "is_bot": False, "first_name": "Ann"},
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": 1700000000,
                "chat": {"id": chat_id, "type": "private"},
                "text": "How satisfied are you with the help you got today?",
                "reply_markup": {"inline_keyboard": [[
                    {"text": str(n), "callback_data": f"csat:{n}"} for n in range(1, 6)
                ]]},
            },
        },
    }  # fmt: skip


def conversations(store: TelemetryStore) -> int:
    return int(store.run(lambda s: s.scalar(select(func.count()).select_from(Conversation))))


async def test_a_double_tap_on_telegram_is_answered_once(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: SurveyEngine
) -> None:
    fake_rasa.survey_active["telegram:42"] = True
    assert await post(gw, tap("csat:4", message_id=700)) == 200
    assert await post(gw, tap("csat:4", message_id=700)) == 200  # the same keyboard again
    assert [c.params["message"] for c in fake_rasa.of("rest")] == ["csat:4"]
    toasts = [c.params.get("text") for c in fake_tg.of("answerCallbackQuery")]
    assert toasts == [None, "Already got it, thanks!"]
    assert len(fake_tg.of("sendMessage")) == 1  # the engine's one answer


async def test_a_late_survey_tap_opens_no_conversation(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: SurveyEngine, store: TelemetryStore
) -> None:
    assert await post(gw, message("hello")) == 200
    before = conversations(store)
    fake_rasa.survey_active["telegram:42"] = False  # the survey ended (answered or expired)
    assert await post(gw, tap("csat:2", message_id=701)) == 200
    assert fake_rasa.of("rest")[-1].params["message"] == "hello"  # the tap never reached it
    assert sent_texts(fake_tg)[-1] == "Already got it, thanks!"
    assert not any("didn't quite get that" in t for t in sent_texts(fake_tg))
    assert conversations(store) == before
    fake_rasa.survey_active["telegram:42"] = True  # a survey that runs gets its answer
    assert await post(gw, tap("csat:5", message_id=702)) == 200
    assert fake_rasa.of("rest")[-1].params["message"] == "csat:5"


async def test_a_rating_is_recorded_when_the_engine_lost_the_survey(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: SurveyEngine, store: TelemetryStore
) -> None:
    """The survey was asked, then the engine lost its state (its tracker no longer knows the
    survey): the customer's tap is still their rating."""
    assert await post(gw, message("hello", chat_id=43)) == 200
    cid = store.open_conversation(channel="telegram", customer_id="telegram:43")
    store.survey_asked(cid, metric="csat")
    fake_rasa.survey_active["telegram:43"] = False
    assert await post(gw, tap("csat:4", message_id=703, chat_id=43)) == 200
    assert sent_texts(fake_tg)[-1] == "Already got it, thanks!"
    rows = store.run(lambda s: s.execute(select(SurveyResponse.score, SurveyResponse.status)).all())
    assert [tuple(r) for r in rows] == [(4, "answered")]
    assert await post(gw, tap("csat:1", message_id=704, chat_id=43)) == 200  # a later tap
    rows = store.run(lambda s: s.execute(select(SurveyResponse.score)).all())
    assert [tuple(r) for r in rows] == [(4,)]  # the first answer counts


async def test_a_double_tap_on_slack_is_answered_once(
    gw: Running, fake_slack: FakeSlack, fake_rasa: SurveyEngine
) -> None:
    fake_rasa.survey_active["slack:D1:U1"] = True

    def press(action_ts: str) -> dict[str, str]:
        payload = {
            "type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"},
            "api_app_id": "A1", "token": "t", "trigger_id": f"trig{action_ts}",
            "container": {"type": "message", "message_ts": "1700000000.000077", "channel_id": "D1"},
            "channel": {"id": "D1"},
            "message": {"type": "message", "ts": "1700000000.000077", "text": "How?", "blocks": []},
            "actions": [{"type": "button", "action_id": "rasa_button_3", "block_id": "rasa_buttons_0",
                         "value": "csat:4", "text": {"type": "plain_text", "text": "4"},
                         "action_ts": action_ts}],
        }  # fmt: skip
        return {"payload": json.dumps(payload)}

    for action_ts in ("1700000001.1", "1700000001.2"):
        assert (await send_form(gw, press(action_ts))).status_code == 200
        assert gw.services.slack is not None
        await gw.services.slack.inflight.drain()
    assert [c.params["message"] for c in fake_rasa.of("rest")] == ["csat:4"]
    texts = [c.params.get("text") for c in fake_slack.of("chat.postMessage")]
    assert texts[-1] == "Already got it, thanks!"


async def test_a_tap_kept_while_the_engine_was_down_reaches_it_before_the_idle_timer(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: SurveyEngine
) -> None:
    """Issue #12, the chaos run: the customer taps a rating while the engine is down; when it
    is back, the overdue idle timer must not end the survey before the kept tap is replayed."""
    fake_rasa.survey_active["telegram:42"] = True
    assert await post(gw, message("hello")) == 200
    fake_rasa.down = True
    assert await post(gw, tap("csat:4", message_id=705)) == 200
    assert sent_texts(fake_tg)[-1] == APOLOGY
    fake_rasa.down = False  # back after the idle timeout: the idle timer is overdue too
    later = datetime.now(timezone.utc) + timedelta(minutes=16)
    await gw.services.timers.run_once(later)
    assert fake_rasa.of("rest")[-1].params["message"] == "csat:4"
    assert fake_rasa.of("trigger_intent") == []  # the survey was still running for the tap
    assert sent_texts(fake_tg)[-1] == "You said: csat:4"
    # the idle timer counts from the replayed tap's answer
    await gw.services.timers.run_once(later + timedelta(minutes=16))
    assert len(fake_rasa.of("trigger_intent")) == 1


async def test_a_kept_tap_is_recorded_when_the_engine_comes_back_without_the_survey(
    gw: Running, fake_tg: FakeTelegram, fake_rasa: SurveyEngine, store: TelemetryStore
) -> None:
    """The replay of a kept tap takes the live tap's path: the engine came back without its
    state, and the rating telemetry waits for is still recorded."""
    assert await post(gw, message("hello", chat_id=44)) == 200
    cid = store.open_conversation(channel="telegram", customer_id="telegram:44")
    store.survey_asked(cid, metric="csat")
    fake_rasa.survey_active["telegram:44"] = True
    fake_rasa.down = True
    assert await post(gw, tap("csat:5", message_id=706, chat_id=44)) == 200
    assert sent_texts(fake_tg)[-1] == APOLOGY
    fake_rasa.down = False
    fake_rasa.survey_active["telegram:44"] = False  # back, but it forgot the survey
    await gw.services.timers.run_once(datetime.now(timezone.utc) + timedelta(seconds=5))
    assert sent_texts(fake_tg)[-1] == "Already got it, thanks!"
    rows = store.run(lambda s: s.execute(select(SurveyResponse.score, SurveyResponse.status)).all())
    assert [tuple(r) for r in rows] == [(5, "answered")]
