"""The CSAT/CES survey at the end of a conversation, and the telemetry it writes.

`action_start_survey` runs when a conversation ends (goodbye, thanks, "no" to "anything else?",
an idle timeout, a resolved handoff); it says goodbye itself, after the survey, or at once when
there is none. While the survey runs, every customer message goes to `action_survey_answer`
(`actions.survey_answer`, data/rules/survey.yml), which stores each answer as it is given.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import conversation_id, latest_intent, survey_config, telemetry
from actions.survey_config import MetricDefinition, SurveyConfig
from actions.survey_hygiene import nps_due, reason_not_to_survey
from actions.survey_unread import (
    asked_since_last_question,
    eligible_unread,
    reason_not_to_survey_unread,
)
from contract import HANDOFF_RESOLVED_INTENT, survey_payload
from cx_telemetry import ConversationInfo, best_effort

# What ends a conversation in the customer's words: the goodbye is said then, survey or not.
FAREWELL_INTENTS = frozenset({"goodbye", "deny"})


def survey_buttons(metric: MetricDefinition) -> list[dict[str, str]]:
    """One button per score; payloads like `csat:4` (``contract.survey_payload``, 6 bytes, far
    below Telegram's 64)."""
    return [
        {
            "title": f"{score} · {metric.labels[score]}" if score in metric.labels else str(score),
            "payload": survey_payload(metric.id, score),
        }
        for score in range(metric.scale_min, metric.scale_max + 1)
    ]


def ask(dispatcher: CollectingDispatcher, config: SurveyConfig, metric: MetricDefinition) -> None:
    dispatcher.utter_message(text=config.question_text(metric), buttons=survey_buttons(metric))


def ask_and_record(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    config: SurveyConfig,
    cid: str,
    metric: MetricDefinition,
    segment: str,
    agent: str | None,
    info: ConversationInfo | None,
) -> None:
    """Asks `metric` and stores the question as asked (the response rate's denominator)."""
    best_effort(
        "survey asked",
        telemetry().survey_asked,
        cid,
        metric=metric.id,
        scale_max=metric.scale_max,
        segment=segment,
        agent=agent,
        intent=info.last_support_intent if info else None,
        model_version=model_version(tracker),
    )
    ask(dispatcher, config, metric)


def end_slots() -> list[EventType]:
    """The survey is over and so is the conversation: forget its state."""
    return [
        SlotSet("survey_active", False),
        SlotSet("survey_step", None),
        SlotSet("survey_retry", False),
        SlotSet("survey_segment", None),
        SlotSet("survey_low_metric", None),
        SlotSet("order_id", None),
        SlotSet("last_order_id", None),
    ]


def model_version(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        model_id = (event.get("metadata") or {}).get("model_id")
        if model_id:
            return str(model_id)
    return None


class ActionStartSurvey(Action):
    def name(self) -> str:
        return "action_start_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        store, config = telemetry(), survey_config()
        cid = conversation_id(tracker)
        trigger, _ = latest_intent(tracker)
        if cid is None:
            if trigger in FAREWELL_INTENTS:
                dispatcher.utter_message(text=config.text("goodbye"))
            return end_slots()
        if tracker.get_slot("survey_active"):
            # Asked, then silence until the idle timer: the survey expired unanswered.
            best_effort("survey expiry", store.survey_ended, cid, status="expired")
            best_effort("close", store.close_conversation, cid)
            return end_slots()
        info = best_effort("conversation lookup", store.get_conversation, cid)
        if info is None:  # database down, or an outage alias not replayed yet: fail open
            eligible = eligible_unread(tracker, trigger)
            withheld = reason_not_to_survey_unread(config, tracker, cid) if eligible else None
        else:
            eligible = (
                bool(info.support_intents or trigger == HANDOFF_RESOLVED_INTENT)
                and not info.survey_started
                and not info.handoff_open
                and (trigger == HANDOFF_RESOLVED_INTENT or not asked_since_last_question(tracker))
            )
            withheld = (
                reason_not_to_survey(config, info, store.last_surveyed_at) if eligible else None
            )
        if withheld is not None:
            best_effort("survey not asked", store.survey_not_asked, cid, withheld)
        if not eligible or withheld is not None:
            if info is None or not info.handoff_open:
                best_effort("close", store.close_conversation, cid)
            if trigger in FAREWELL_INTENTS:
                dispatcher.utter_message(text=config.text("goodbye"))
            return end_slots()

        segment, agent = (
            ("agent", _agent(tracker)) if trigger == HANDOFF_RESOLVED_INTENT else ("bot", None)
        )
        first = config.metrics[0]
        with_nps = nps_due(config, info, store.last_surveyed_at)
        dispatcher.utter_message(text=config.text("intro_with_nps" if with_nps else "intro"))
        ask_and_record(dispatcher, tracker, config, cid, first, segment, agent, info)
        return [
            SlotSet("survey_active", True),
            SlotSet("survey_step", first.id),
            SlotSet("survey_retry", False),
            SlotSet("survey_segment", f"{segment}:{agent or ''}"),
        ]


def _agent(tracker: Tracker) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "agent" and entity.get("value"):
            return str(entity["value"])
    return None
