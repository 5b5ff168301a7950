"""When the assistant is unsure (``nlu_fallback``), it offers the two or three likeliest topics
as buttons plus "Something else" instead of "could you rephrase?". A tap sends the topic's
intent as a payload, so the conversation goes on as if it had been understood; what was offered
and what was picked go to telemetry (``cx-telemetry export --what clarifications``)."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import conversation_id, telemetry
from actions.topics import CLARIFY_ACTION, TOPICS
from cx_telemetry import best_effort

OFFERED = 3
# A third topic is offered only when the classifier gives it at least this much; two always.
THIRD_AT_LEAST = 0.08
SOMETHING_ELSE = {"title": "Something else", "payload": "/clarify_other"}
QUESTION = "I'm not quite sure what you mean. Did you mean:"
# Entities a tap carries over, so "where is 10234 ... ?" still knows the order.
CARRIED = ("order_id",)
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"


def off_topic_first(tracker: Tracker) -> bool:
    """The classifier's own first choice (nlu_fallback left out) was out_of_scope: the message
    is most likely about something else than this shop, so no shop topics are offered."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    names = [r.get("name") for r in ranking if isinstance(r, dict) and r.get("name") != FALLBACK]
    return bool(names) and names[0] == OUT_OF_SCOPE


def likely_topics(tracker: Tracker) -> list[tuple[str, float]]:
    """The likeliest support topics of the latest message, most likely first."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    topics = [
        (str(r["name"]), float(r.get("confidence") or 0.0))
        for r in ranking
        if isinstance(r, dict) and r.get("name") in TOPICS
    ]
    topics.sort(key=lambda t: -t[1])
    chosen = topics[:2]
    if len(topics) > 2 and topics[2][1] >= THIRD_AT_LEAST:
        chosen.append(topics[2])
    return chosen[:OFFERED]


def topic_payload(intent: str, tracker: Tracker) -> str:
    """``/<intent>`` with the entities worth carrying: ``/track_order{"order_id":"10234"}``."""
    entities: dict[str, Any] = {}
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") in CARRIED and entity.get("value"):
            entities[str(entity["entity"])] = str(entity["value"])
    return f"/{intent}{json.dumps(entities, separators=(',', ':'))}" if entities else f"/{intent}"


class ActionClarify(Action):
    def name(self) -> str:
        return CLARIFY_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if off_topic_first(tracker):  # "what I can do" (with "Talk to a person"), no topics
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        topics = likely_topics(tracker)
        if len(topics) < 2:  # nothing worth offering
            dispatcher.utter_message(response="utter_rephrase")
            return []
        buttons = [{"title": TOPICS[i], "payload": topic_payload(i, tracker)} for i, _ in topics]
        dispatcher.utter_message(text=QUESTION, buttons=[*buttons, SOMETHING_ELSE])
        cid = conversation_id(tracker)
        if cid is not None:
            best_effort(
                "clarification_offered",
                telemetry().clarification_offered,
                cid,
                [i for i, _ in topics],
                [round(c, 4) for _, c in topics],
                str(tracker.latest_message.get("text") or ""),
            )
        return []


class ActionClarifyOther(Action):
    """ "Something else": none of the topics; the customer is asked to say it another way."""

    def name(self) -> str:
        return "action_clarify_other"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        cid = conversation_id(tracker)
        if cid is not None:
            best_effort(
                "clarification_picked", telemetry().clarification_picked, cid, "something_else"
            )
        dispatcher.utter_message(response="utter_rephrase")
        return []
