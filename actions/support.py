"""Bookkeeping around the answers given straight from the domain's responses."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import conversation_id, latest_intent, note_support_intent, telemetry
from cx_telemetry import best_effort


def note_fallback(tracker: Tracker) -> None:
    """Counts a message the assistant did not understand on the conversation's row."""
    cid = conversation_id(tracker)
    if cid is None:
        return
    best_effort("note_fallback", telemetry().note_fallback, cid)


class ActionNoteAnswer(Action):
    """Runs after a support answer: records the intent on the conversation (containment and the
    survey's "last support intent" depend on it)."""

    def name(self) -> str:
        return "action_note_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent, _ = latest_intent(tracker)
        note_support_intent(tracker, intent)
        return []


class ActionNoteFallback(Action):
    """Counts a message the assistant did not understand (the report's fallback rate)."""

    def name(self) -> str:
        return "action_note_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        note_fallback(tracker)
        return []


class ActionCoreFallback(Action):
    """When no rule fits the conversation (a "yes" out of the blue, say): ask to rephrase, and
    the second time in a row offer a person. The message is then forgotten, as Rasa's default
    fallback does, so the conversation continues from where it was."""

    def name(self) -> str:
        return "action_core_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        note_fallback(tracker)
        again = _previous_turn_was_a_fallback(tracker)
        dispatcher.utter_message(response="utter_offer_human" if again else "utter_rephrase")
        return [UserUtteranceReverted()]


def _previous_turn_was_a_fallback(tracker: Tracker) -> bool:
    users_seen = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            users_seen += 1
        elif kind == "action" and users_seen >= 1 and event.get("name") != "action_listen":
            return event.get("name") in (
                "action_core_fallback",
                "utter_rephrase",
                "action_note_fallback",
            )
    return False
