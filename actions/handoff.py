"""Escalation to a person (``action_handoff``).

Records the request in the telemetry store, tells the customer their place in the queue and
the usual wait, pauses the conversation, and hands the gateway a custom payload
``{"handoff": {...}}`` (REST replies carry it as ``custom``): the gateway hides it from the
customer, posts the staff card in Slack (with who the customer is when the chat is verified:
``actions.handoff_customer``) and relays the chat until staff resolve it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import conversation_id, latest_intent, note_support_intent, telemetry
from actions.handoff_customer import who_is_asking
from contract import HANDOFF_CANCEL_PAYLOAD, HANDOFF_CUSTOM_KEY
from cx_telemetry import best_effort
from cx_telemetry.handoff_queue import QueueSnapshot, queue_snapshot

# What the bot did in the turn before the request tells why the customer escalates.
COMPLAINT_TURN = frozenset({"utter_complaint_sorry", "utter_offer_human_complaint"})
FALLBACK_TURN = frozenset(
    {"utter_offer_human", "utter_rephrase", "action_core_fallback", "action_note_fallback"}
)


def handoff_reason(tracker: Tracker, intent: str | None) -> str:
    """``complaint`` | ``fallback`` | ``button`` | ``customer_request``: why the customer is
    escalated (the report breaks the escalation rate down by it)."""
    if intent == "complaint":
        return "complaint"
    previous = _previous_bot_turn(tracker)
    if previous & COMPLAINT_TURN:
        return "complaint"
    if previous & FALLBACK_TURN:
        return "fallback"
    if str(tracker.latest_message.get("text") or "").startswith("/"):
        return "button"  # a "Talk to a person" button somewhere the bot could not help
    return "customer_request"


def _previous_bot_turn(tracker: Tracker) -> set[str]:
    """Actions and responses (``utter_action`` of bot messages) between the last two customer
    messages."""
    names: set[str] = set()
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                break
            seen_user = True
        elif seen_user and kind == "action" and event.get("name") != "action_listen":
            names.add(str(event.get("name")))
        elif seen_user and kind == "bot":
            utter = (event.get("metadata") or {}).get("utter_action")
            if utter:
                names.add(str(utter))
    return names


def wait_phrase(wait: timedelta) -> str:
    minutes = max(1, round(wait.total_seconds() / 60))
    return "about a minute" if minutes == 1 else f"about {minutes} minutes"


def queue_text(snapshot: QueueSnapshot | None) -> str:
    head = "I've passed your conversation to our support team."
    tail = (
        " Anything you write here goes straight to them. If you'd rather carry on with me, "
        'say "never mind".'
    )
    if snapshot is None:
        return head + " A person will reply right here as soon as they're free." + tail
    place = (
        "You're next in line" if snapshot.position <= 1 else f"You're #{snapshot.position} in line"
    )
    return f"{head} {place}; the usual wait is {wait_phrase(snapshot.usual_wait)}.{tail}"


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent, _ = latest_intent(tracker)
        note_support_intent(tracker, intent)
        reason = handoff_reason(tracker, intent)
        cid = conversation_id(tracker)
        if cid is None:  # no telemetry at all: there is no case the staff could see
            dispatcher.utter_message(
                text="Sorry, I can't reach our support team right now. "
                "Please try again in a few minutes."
            )
            return []
        store = telemetry()
        hid = store.handoff_requested(cid, reason=reason)
        snapshot = best_effort("queue figures", queue_snapshot, store, hid)
        dispatcher.utter_message(
            text=queue_text(snapshot),
            buttons=[
                {"title": "Never mind, back to the assistant", "payload": HANDOFF_CANCEL_PAYLOAD}
            ],
        )
        payload: dict[str, Any] = {
            "id": hid,
            "conversation_id": cid,
            "reason": reason,
            "position": snapshot.position if snapshot else None,
            # the staff card's "Verified: Ana (...)" (``customer``; null: not verified)
            **await who_is_asking(tracker, cid),
        }
        dispatcher.utter_message(json_message={HANDOFF_CUSTOM_KEY: payload})
        return [ConversationPaused()]
