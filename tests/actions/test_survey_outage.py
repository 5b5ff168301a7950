"""The survey at the edge of a telemetry outage (issue #12): when the conversation cannot be read
(the database is down, or the id is an outage alias not replayed yet) the survey is still asked,
its answers wait in the outbox and land on the real conversation; it is never asked twice."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from actions import context
from actions.support import ActionNoteAnswer
from actions.survey import ActionStartSurvey
from actions.survey_answer import ActionSurveyAnswer
from cx_telemetry import TelemetryStore

from .conftest import Conversation, responses, run
from .test_survey import finished_support_chat

GOODBYE = "Thanks for contacting Brightcart. Have a good day!"
CSAT_QUESTION = (
    "How satisfied are you with the help you got today?\n1 = Very dissatisfied · 5 = Very satisfied"
)


@contextmanager
def telemetry_down(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The actions' telemetry database cannot be reached (same outbox) until the block ends."""
    real = os.environ["CX_TELEMETRY_DB_URL"]
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", f"sqlite:///{tmp_path / 'gone' / 'telemetry.db'}")
    context.reset_caches()
    try:
        yield
    finally:
        context.telemetry().dispose()
        monkeypatch.setenv("CX_TELEMETRY_DB_URL", real)
        context.reset_caches()


def apply(chat: Conversation, events: list[dict[str, Any]]) -> None:
    """The slots, and the slot events in the tracker, as Rasa keeps them."""
    chat.apply(events)
    chat.events.extend(e for e in events if e["event"] == "slot")


async def start(chat: Conversation, text: str = "bye", intent: str = "goodbye") -> list[str]:
    messages, events = await run(ActionStartSurvey(), chat.tracker(text, intent))
    apply(chat, events)
    return [m["text"] for m in messages]


async def answer(chat: Conversation, text: str) -> list[str]:
    messages, events = await run(ActionSurveyAnswer(), chat.tracker(text, "nlu_fallback", 0.4))
    apply(chat, events)
    return [m["text"] for m in messages]


async def test_telemetry_down_at_bye_the_survey_is_asked_and_recorded_on_its_return(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chat = await finished_support_chat(store)
    with telemetry_down(monkeypatch, tmp_path):
        said = await start(chat)
        assert said[1] == CSAT_QUESTION
        assert (await answer(chat, "csat:4"))[0].startswith("How much do you agree")
        assert (await answer(chat, "ces:6"))[0].endswith(GOODBYE)
    assert responses(store, chat.cid) == {}  # still in the outbox

    context.telemetry().replay()
    rows = responses(store, chat.cid)
    assert (rows["csat"]["score"], rows["csat"]["status"]) == (4, "answered")
    assert (rows["ces"]["score"], rows["ces"]["status"]) == (6, "answered")


async def test_an_answered_survey_is_not_asked_twice_while_telemetry_is_down(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chat = await finished_support_chat(store)
    with telemetry_down(monkeypatch, tmp_path):
        await start(chat)
        await answer(chat, "csat:5")
        await answer(chat, "ces:7")
        assert await start(chat, "thanks", "thank_you") == []
        assert await start(chat, "bye") == [GOODBYE]
    # and once the survey's rows are in, with the database up
    context.telemetry().replay()
    assert await start(chat, "bye") == [GOODBYE]
    assert {row["status"] for row in responses(store, chat.cid).values()} == {"answered"}


async def test_no_survey_after_a_bare_greeting_while_telemetry_is_down(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chat = Conversation(store)
    with telemetry_down(monkeypatch, tmp_path):
        assert await start(chat, "hi", "greet") == []
        assert await start(chat, "bye") == [GOODBYE]


async def test_an_outage_alias_not_replayed_yet_gets_the_survey_on_the_real_conversation(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chat = await finished_support_chat(store)
    real = chat.cid
    with telemetry_down(monkeypatch, tmp_path):
        # the customer's next message during the outage: the outbox hands out an alias id
        chat.cid = context.telemetry().open_conversation(chat.channel, customer_id=chat.sender)
    assert chat.cid != real
    assert store.get_conversation(chat.cid) is None  # back up, the alias not mapped yet

    said = await start(chat)
    assert said[1] == CSAT_QUESTION
    await answer(chat, "csat:2")
    await answer(chat, "slow delivery")
    rows = responses(store, real)
    assert (rows["csat"]["score"], rows["csat"]["comment"]) == (2, "slow delivery")
    assert responses(store, chat.cid) == {}


async def test_an_unknown_conversation_id_gets_the_survey(store: TelemetryStore) -> None:
    chat = await finished_support_chat(store)
    chat.cid = "f" * 32  # e.g. an id from an outbox whose opening was never applied
    said = await start(chat)
    assert said[1] == CSAT_QUESTION
    assert (await answer(chat, "csat:5"))[0].startswith("How much do you agree")


async def test_cooldown_counts_this_chats_surveys_while_telemetry_is_down(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from .test_survey import hygiene

    hygiene(monkeypatch, tmp_path, cooldown_days=30)
    chat = await finished_support_chat(store)
    with telemetry_down(monkeypatch, tmp_path):
        await start(chat)
        await answer(chat, "csat:5")
        await answer(chat, "ces:7")
        for event in chat.events:  # Rasa stamps every event; the survey began an hour ago
            event["timestamp"] = event.get("timestamp") or time.time() - 3600
        await run(ActionNoteAnswer(), chat.tracker("where is my refund", "track_refund"))
        assert await start(chat) == [GOODBYE]  # a new question, but surveyed lately
