"""Bookkeeping actions: intents, fallbacks and escalations land on the conversation's row."""

from __future__ import annotations

from actions.handoff import ActionHandoff
from actions.support import ActionCoreFallback, ActionNoteAnswer, ActionNoteFallback
from cx_telemetry import TelemetryStore

from .conftest import Conversation, run


async def test_support_intents_are_noted_and_chit_chat_is_not(store: TelemetryStore) -> None:
    chat = Conversation(store)
    await run(ActionNoteAnswer(), chat.tracker("hello", "greet"))
    await run(ActionNoteAnswer(), chat.tracker("invoice please", "get_invoice"))
    await run(ActionNoteAnswer(), chat.tracker("and my password", "recover_password"))
    info = store.get_conversation(chat.cid)
    assert info is not None
    assert info.support_intents == ("get_invoice", "recover_password")
    assert info.last_support_intent == "recover_password"


async def test_fallbacks_are_counted(store: TelemetryStore) -> None:
    chat = Conversation(store)
    await run(ActionNoteFallback(), chat.tracker("qwzx", "nlu_fallback", 0.3))
    await run(ActionNoteFallback(), chat.tracker("plok", "nlu_fallback", 0.2))
    info = store.get_conversation(chat.cid)
    assert info is not None and info.fallback_count == 2


async def test_core_fallback_asks_to_rephrase_then_offers_a_person(store: TelemetryStore) -> None:
    chat = Conversation(store)
    messages, events = await run(ActionCoreFallback(), chat.tracker("yes", "affirm"))
    assert messages[0]["response"] == "utter_rephrase"
    assert events == [{"event": "rewind", "timestamp": None}]
    chat.events += [{"event": "action", "name": "action_core_fallback"}, {"event": "rewind"}]
    messages, _ = await run(ActionCoreFallback(), chat.tracker("no", "deny"))
    assert messages[0]["response"] == "utter_offer_human"


async def test_a_handoff_request_is_recorded_with_its_reason(store: TelemetryStore) -> None:
    chat = Conversation(store)
    await run(ActionHandoff(), chat.tracker("this is outrageous, I want to complain", "complaint"))
    handoff = store.open_handoff(chat.cid)
    assert handoff is not None and handoff.reason == "complaint"
    info = store.get_conversation(chat.cid)
    assert info is not None and info.handoff_open and "complaint" in info.support_intents
