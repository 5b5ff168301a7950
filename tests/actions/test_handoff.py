"""``action_handoff``: what the customer is told, the payload the gateway needs, telemetry."""

from __future__ import annotations

from datetime import timedelta

from actions.handoff import ActionHandoff
from contract import HANDOFF_CANCEL_PAYLOAD, utcnow
from cx_telemetry import TelemetryStore
from cx_telemetry.models import Handoff

from .conftest import Conversation, run


def _payload(messages: list[dict]) -> dict:  # type: ignore[type-arg]
    customs = [m["custom"]["handoff"] for m in messages if m.get("custom")]
    assert len(customs) == 1
    return customs[0]


async def test_customer_request_pauses_and_tells_the_queue(store: TelemetryStore) -> None:
    conv = Conversation(store)
    messages, events = await run(
        ActionHandoff(), conv.tracker("I want a human", "contact_human_agent")
    )
    text = messages[0]["text"]
    assert "You're next in line; the usual wait is about 5 minutes" in text
    assert messages[0]["buttons"][0]["payload"] == HANDOFF_CANCEL_PAYLOAD
    payload = _payload(messages)
    assert payload["reason"] == "customer_request" and payload["position"] == 1
    assert payload["conversation_id"] == conv.cid
    assert [e["event"] for e in events] == ["pause"]
    handoff = store.open_handoff(conv.cid)
    assert handoff is not None and handoff.id == payload["id"]
    assert handoff.reason == "customer_request"
    info = store.get_conversation(conv.cid)
    assert info is not None and "contact_human_agent" in info.support_intents


async def test_escalating_twice_reuses_the_open_case(store: TelemetryStore) -> None:
    conv = Conversation(store)
    first, _ = await run(ActionHandoff(), conv.tracker("agent", "contact_human_agent"))
    again, _ = await run(ActionHandoff(), conv.tracker("a person please", "contact_human_agent"))
    assert _payload(first)["id"] == _payload(again)["id"]
    count = store.run(lambda s: s.query(Handoff).filter_by(conversation_id=conv.cid).count())
    assert count == 1


async def test_reasons(store: TelemetryStore) -> None:
    complaint = Conversation(store)
    messages, _ = await run(ActionHandoff(), complaint.tracker("this is awful", "complaint"))
    assert _payload(messages)["reason"] == "complaint"

    fallback = Conversation(store)
    fallback.tracker("blorp", "nlu_fallback")
    fallback.events.append({"event": "action", "name": "utter_offer_human"})
    messages, _ = await run(
        ActionHandoff(), fallback.tracker("/contact_human_agent", "contact_human_agent")
    )
    assert _payload(messages)["reason"] == "fallback"

    offered = Conversation(store)  # the offer came from action_core_fallback's response
    offered.tracker("blorp", "nlu_fallback")
    offered.events.append({"event": "action", "name": "action_core_fallback"})
    offered.events.append(
        {"event": "bot", "text": "...", "metadata": {"utter_action": "utter_offer_human"}}
    )
    messages, _ = await run(ActionHandoff(), offered.tracker("yes", "affirm"))
    assert _payload(messages)["reason"] == "fallback"

    after_complaint = Conversation(store)
    after_complaint.tracker("my parcel is wrecked", "complaint")
    after_complaint.events.append({"event": "action", "name": "utter_complaint_sorry"})
    messages, _ = await run(ActionHandoff(), after_complaint.tracker("yes please", "affirm"))
    assert _payload(messages)["reason"] == "complaint"

    button = Conversation(store)
    messages, _ = await run(
        ActionHandoff(), button.tracker("/contact_human_agent", "contact_human_agent")
    )
    assert _payload(messages)["reason"] == "button"


async def test_position_and_usual_wait_come_from_recent_handoffs(store: TelemetryStore) -> None:
    now = utcnow()
    for wait in (3, 4, 6):  # three claimed handoffs this week: median wait 4 minutes
        done = Conversation(store)
        hid = store.handoff_requested(done.cid, at=now - timedelta(hours=2))
        store.handoff_claimed(
            hid, agent="Ana (U1)", at=now - timedelta(hours=2) + timedelta(minutes=wait)
        )
        store.handoff_resolved(hid, at=now - timedelta(hours=1))
    waiting = Conversation(store)  # someone is already in line
    store.handoff_requested(waiting.cid, at=now - timedelta(minutes=2))

    conv = Conversation(store)
    messages, _ = await run(ActionHandoff(), conv.tracker("agent", "contact_human_agent"))
    assert "You're #2 in line; the usual wait is about 4 minutes" in messages[0]["text"]
    assert _payload(messages)["position"] == 2
