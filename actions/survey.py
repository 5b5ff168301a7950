"""The CSAT/CES survey at the end of a conversation, and the telemetry it writes.

`action_start_survey` runs when a conversation ends (goodbye, thanks, "no" to "anything else?",
an idle timeout, a resolved handoff). While the survey runs, every customer message goes to
`action_survey_answer` (data/rules/survey.yml), which stores each answer the moment it is given.
"""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SlotSet, UserUttered
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import (
    SUPPORT_INTENTS,
    conversation_id,
    latest_intent,
    latest_metadata,
    survey_config,
    telemetry,
)
from actions.survey_answers import Answer, guess_answer, read_answer
from actions.survey_config import MetricDefinition, SurveyConfig
from contract import HANDOFF_RESOLVED_INTENT
from cx_telemetry import ConversationInfo, best_effort

# A new question only interrupts the survey when the assistant is this sure it is one.
DIGRESSION_CONFIDENCE = 0.6
_PAYLOAD = re.compile(r"^(?P<metric>[a-z_]+):(?P<score>\d{1,2})$")
_COMMENT = "comment:"


def survey_buttons(metric: MetricDefinition) -> list[dict[str, str]]:
    """One button per score; payloads like `csat:4` (6 bytes, far below Telegram's 64)."""
    return [
        {"title": f"{score} · {metric.labels[score]}", "payload": f"{metric.id}:{score}"}
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
            return end_slots()
        if tracker.get_slot("survey_active"):
            # Asked, then silence until the idle timer: the survey expired unanswered.
            best_effort("survey expiry", store.survey_ended, cid, status="expired")
            best_effort("close", store.close_conversation, cid)
            return end_slots()
        info = best_effort("conversation lookup", store.get_conversation, cid)
        eligible = (
            info is not None
            and (info.support_intents or trigger == HANDOFF_RESOLVED_INTENT)
            and not info.survey_started
            and not info.handoff_open
        )
        if not eligible:
            if info is None or not info.handoff_open:
                best_effort("close", store.close_conversation, cid)
            return end_slots()

        segment, agent = (
            ("agent", _agent(tracker)) if trigger == HANDOFF_RESOLVED_INTENT else ("bot", None)
        )
        first = config.metrics[0]
        dispatcher.utter_message(text=config.texts["intro"])
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


class ActionSurveyAnswer(Action):
    def name(self) -> str:
        return "action_survey_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        config = survey_config()
        cid = conversation_id(tracker)
        step = tracker.get_slot("survey_step") or config.metrics[0].id
        text = tracker.latest_message.get("text") or ""
        if cid is None:
            return end_slots()
        if step.startswith(_COMMENT):
            return self._comment(dispatcher, config, cid, step[len(_COMMENT) :], text)
        try:
            metric = config.metric(step)
        except KeyError:  # the survey file changed under a running survey
            return end_slots()

        answer = self._read(text, metric, config)
        if answer is None:  # a button of an earlier question: ask the current one again
            ask(dispatcher, config, metric)
            return []
        if answer.score is not None:
            return self._answered(dispatcher, tracker, config, cid, metric, answer.score)
        if answer.skip:
            best_effort("survey skipped", telemetry().survey_ended, cid, status="skipped")
            best_effort("close", telemetry().close_conversation, cid)
            dispatcher.utter_message(text=config.texts["skipped"])
            return end_slots()
        intent, confidence = latest_intent(tracker)
        if intent in SUPPORT_INTENTS and confidence >= DIGRESSION_CONFIDENCE:
            return self._new_question(tracker, cid)
        guessed = guess_answer(text, metric)
        if guessed.score is not None:
            return self._answered(dispatcher, tracker, config, cid, metric, guessed.score)
        if not tracker.get_slot("survey_retry"):
            dispatcher.utter_message(
                text=config.texts["ask_again"].format(min=metric.scale_min, max=metric.scale_max),
                buttons=survey_buttons(metric),
            )
            return [SlotSet("survey_retry", True)]
        best_effort("survey abandoned", telemetry().survey_ended, cid, status="abandoned")
        best_effort("close", telemetry().close_conversation, cid)
        dispatcher.utter_message(text=config.texts["gave_up"])
        return end_slots()

    @staticmethod
    def _read(text: str, metric: MetricDefinition, config: SurveyConfig) -> Answer | None:
        payload = _PAYLOAD.match(text.strip())
        if payload is None:
            return read_answer(text, metric, config)
        if payload["metric"] != metric.id:
            return None
        score = int(payload["score"])
        return Answer(score=score) if metric.scale_min <= score <= metric.scale_max else Answer()

    def _answered(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        config: SurveyConfig,
        cid: str,
        metric: MetricDefinition,
        score: int,
    ) -> list[EventType]:
        store = telemetry()
        best_effort("survey answered", store.survey_answered, cid, metric=metric.id, score=score)
        low = _first_low(tracker, config, metric, score)
        following = config.next_metric(metric.id)
        if following is not None:
            segment, _, agent = (tracker.get_slot("survey_segment") or "bot:").partition(":")
            info = best_effort("conversation lookup", store.get_conversation, cid)
            ask_and_record(
                dispatcher, tracker, config, cid, following, segment or "bot", agent or None, info
            )
            events: list[EventType] = [
                SlotSet("survey_step", following.id),
                SlotSet("survey_retry", False),
            ]
            if low is not None:
                events.append(SlotSet("survey_low_metric", low))
            return events
        if low is not None:
            dispatcher.utter_message(text=config.texts["comment_prompt"])
            return [SlotSet("survey_step", f"{_COMMENT}{low}"), SlotSet("survey_retry", False)]
        best_effort("close", store.close_conversation, cid)
        dispatcher.utter_message(text=config.texts["thanks"])
        return end_slots()

    @staticmethod
    def _comment(
        dispatcher: CollectingDispatcher, config: SurveyConfig, cid: str, metric_id: str, text: str
    ) -> list[EventType]:
        store = telemetry()
        if text.strip() and " ".join(text.lower().split()).strip(".!") not in config.skip_phrases:
            best_effort("survey comment", store.survey_comment, cid, metric=metric_id, comment=text)
        best_effort("close", store.close_conversation, cid)
        dispatcher.utter_message(text=config.texts["thanks"])
        return end_slots()

    @staticmethod
    def _new_question(tracker: Tracker, cid: str) -> list[EventType]:
        """The customer moved on to a new question: record the survey as abandoned and hand the
        message back to the assistant as if the survey had not been there."""
        best_effort("survey abandoned", telemetry().survey_ended, cid, status="abandoned")
        message = tracker.latest_message
        events: list[EventType] = [
            SlotSet("survey_active", False),
            SlotSet("survey_step", None),
            SlotSet("survey_retry", False),
            SlotSet("survey_low_metric", None),
            ActionExecuted("action_listen"),
            {
                **UserUttered(
                    message.get("text"),
                    parse_data={
                        "intent": message.get("intent"),
                        "entities": message.get("entities") or [],
                        "text": message.get("text"),
                    },
                    input_channel=tracker.get_latest_input_channel(),
                ),
                # keeps the gateway's conversation id on the replayed message
                "metadata": latest_metadata(tracker) or None,
            },
        ]
        for entity in message.get("entities") or []:
            if entity.get("entity") in ("order_id", "email"):
                events.append(SlotSet(entity["entity"], entity.get("value")))
        return events


def _first_low(
    tracker: Tracker, config: SurveyConfig, metric: MetricDefinition, score: int
) -> str | None:
    earlier = tracker.get_slot("survey_low_metric")
    if earlier:
        return str(earlier)
    return metric.id if metric.is_low(score) else None
