"""'Did you mean…?': the likeliest topics as buttons instead of "could you rephrase?", and
what was offered and picked in telemetry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from actions.clarify import ActionClarify, ActionClarifyOther
from actions.support import ActionNoteAnswer
from actions.topics import TOPICS
from cx_telemetry import TelemetryStore
from cx_telemetry.models import Clarification

from .conftest import Conversation, run

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.5},
    {"name": "delivery_period", "confidence": 0.41},
    {"name": "track_order", "confidence": 0.38},
    {"name": "out_of_scope", "confidence": 0.09},
    {"name": "track_refund", "confidence": 0.08},
    {"name": "greet", "confidence": 0.02},
]


def unsure(chat: Conversation, text: str, ranking: list[dict[str, Any]], **kw: Any) -> Any:
    tracker = chat.tracker(text, "nlu_fallback", 0.5, **kw)
    tracker.latest_message["intent_ranking"] = ranking
    return tracker


def rows(store: TelemetryStore, cid: str) -> list[Clarification]:
    return store.run(
        lambda s: list(s.scalars(select(Clarification).where(Clarification.conversation_id == cid)))
    )


async def test_the_likeliest_topics_are_offered_with_something_else(store: TelemetryStore) -> None:
    chat = Conversation(store)
    entities = [{"entity": "order_id", "value": "10002"}]
    text = "my parcel 10002 thing, mail me at ann@example.com"
    messages, _ = await run(ActionClarify(), unsure(chat, text, RANKING, entities=entities))
    assert messages[0]["text"].startswith("I'm not quite sure what you mean. Did you mean")
    assert [(b["title"], b["payload"]) for b in messages[0]["buttons"]] == [
        (TOPICS["delivery_period"], '/delivery_period{"order_id":"10002"}'),
        (TOPICS["track_order"], '/track_order{"order_id":"10002"}'),
        (TOPICS["track_refund"], '/track_refund{"order_id":"10002"}'),
        ("Something else", "/clarify_other"),
    ]  # out_of_scope and greet are not topics
    [row] = rows(store, chat.cid)
    assert row.offered == ["delivery_period", "track_order", "track_refund"]
    assert row.confidences == [0.41, 0.38, 0.08] and row.picked is None
    assert "ann@example.com" not in (row.text or "") and "parcel" in (row.text or "")
    info = store.get_conversation(chat.cid)
    assert info is not None


async def test_a_third_topic_only_when_it_is_likely_enough(store: TelemetryStore) -> None:
    chat = Conversation(store)
    ranking = [*RANKING[:3], {"name": "track_refund", "confidence": 0.03}]
    messages, _ = await run(ActionClarify(), unsure(chat, "hmm my thing", ranking))
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        "/delivery_period",
        "/track_order",
        "/clarify_other",
    ]


async def test_nothing_worth_offering_asks_to_rephrase(store: TelemetryStore) -> None:
    chat = Conversation(store)
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "greet", "confidence": 0.4}]
    messages, _ = await run(ActionClarify(), unsure(chat, "blorp", ranking))
    assert messages[0]["response"] == "utter_rephrase"
    assert rows(store, chat.cid) == []


async def test_an_unsure_off_topic_message_gets_what_the_assistant_does(
    store: TelemetryStore,
) -> None:
    chat = Conversation(store)
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "out_of_scope", "confidence": 0.46},
        {"name": "track_order", "confidence": 0.4},
        {"name": "delivery_period", "confidence": 0.1},
    ]
    text = "where is my Bolt driver"
    messages, _ = await run(ActionClarify(), unsure(chat, text, ranking))
    assert [m.get("response") for m in messages] == ["utter_out_of_scope"]
    assert not any(m.get("buttons") for m in messages)  # no shop topics, no order form
    assert rows(store, chat.cid) == []


async def test_a_tap_on_a_topic_is_recorded_as_the_pick(store: TelemetryStore) -> None:
    chat = Conversation(store)
    await run(ActionClarify(), unsure(chat, "my parcel thing", RANKING))
    chat.events.append({"event": "action", "name": "action_clarify"})
    await run(ActionNoteAnswer(), chat.tracker("/track_order", "track_order", 1.0))
    [row] = rows(store, chat.cid)
    assert row.picked == "track_order" and row.picked_at is not None
    chat.events.append({"event": "action", "name": "action_note_answer"})
    await run(ActionNoteAnswer(), chat.tracker("and invoices?", "check_invoice"))
    assert rows(store, chat.cid)[0].picked == "track_order"  # later topics change nothing


async def test_going_on_with_something_not_offered_is_no_pick(store: TelemetryStore) -> None:
    chat = Conversation(store)
    await run(ActionClarify(), unsure(chat, "my parcel thing", RANKING))
    chat.events.append({"event": "action", "name": "action_clarify"})
    await run(ActionNoteAnswer(), chat.tracker("how do I pay", "check_payment_methods"))
    assert rows(store, chat.cid)[0].picked is None


async def test_something_else_is_recorded_and_asks_to_rephrase(store: TelemetryStore) -> None:
    chat = Conversation(store)
    await run(ActionClarify(), unsure(chat, "my parcel thing", RANKING))
    chat.events.append({"event": "action", "name": "action_clarify"})
    messages, _ = await run(ActionClarifyOther(), chat.tracker("/clarify_other", "clarify_other"))
    assert messages[0]["response"] == "utter_rephrase"
    assert rows(store, chat.cid)[0].picked == "something_else"


def test_every_topic_payload_fits_telegram_callback_data() -> None:
    longest = max(TOPICS, key=len)
    payload = f'/{longest}{{"order_id":"ORD-99999"}}'
    assert len(payload.encode()) <= 64
