"""Escalation to a person. Until the Slack staff desk exists, the request is recorded in the
telemetry store (feeding the escalation rate) and the customer is told a person will follow up."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import conversation_id, latest_intent, note_support_intent, telemetry
from cx_telemetry import TelemetryError

logger = logging.getLogger(__name__)

REASONS = {
    "contact_human_agent": "customer_request",
    "complaint": "complaint",
    "affirm": "offered_after_fallback",
    "nlu_fallback": "fallback",
}


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent, _ = latest_intent(tracker)
        note_support_intent(tracker, intent)
        cid = conversation_id(tracker)
        if cid is not None:
            try:
                telemetry().handoff_requested(cid, reason=REASONS.get(intent or "", "other"))
            except TelemetryError:
                logger.exception("telemetry: cannot record the handoff request")
        return []
