"""`action_survey_answer`: every customer message while the survey runs.

- A tap on the question asked is the answer; a tap on a question already answered (a double
  tap, an old keyboard) is acknowledged and changes nothing. A button payload is never a comment.
- Another leftover button ("No, that's all" under the CSAT question) is not an unreadable
  answer: the question is simply asked again.
- After a low score the comment is asked at once (once per survey), then the next question.
- A sentence typed where a rating was asked is kept as the comment; nothing typed is lost.
- A confident new question ends the survey (abandoned) and is answered as if it had not run.
- The goodbye comes last, after the thanks.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SlotSet, UserUttered
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import (
    NEW_QUESTION_CONFIDENCE,
    SUPPORT_INTENTS,
    conversation_id,
    latest_intent,
    latest_metadata,
    survey_config,
    telemetry,
)
from actions.survey import ask, ask_and_record, end_slots, survey_buttons
from actions.survey_answers import guess_answer, is_feedback, read_answer
from actions.survey_config import MetricDefinition, SurveyConfig
from actions.survey_hygiene import nps_due
from contract import parse_survey_payload
from cx_telemetry import best_effort

COMMENT = "comment:"
# Feedback rather than a new question: kept as the comment, the survey goes on.
FEEDBACK_INTENTS = frozenset({"complaint", "review"})


class ActionSurveyAnswer(Action):
    def name(self) -> str:
        return "action_survey_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        config = survey_config()
        cid = conversation_id(tracker)
        step = tracker.get_slot("survey_step") or config.metrics[0].id
        text = str(tracker.latest_message.get("text") or "")
        if cid is None:
            return end_slots()
        tap = parse_survey_payload(text)
        if step.startswith(COMMENT):
            return self._comment(dispatcher, tracker, config, cid, step[len(COMMENT) :], text)
        try:
            metric = config.metric(step)
        except KeyError:  # the survey file changed under a running survey
            return end_slots()
        if tap is not None:
            if tap[0] != metric.id or not metric.scale_min <= tap[1] <= metric.scale_max:
                dispatcher.utter_message(text=config.text("already_answered"))
                return []
            return self._answered(dispatcher, tracker, config, cid, metric, tap[1])
        if text.startswith("/"):  # a button of an earlier message: the survey goes on
            ask(dispatcher, config, metric)
            return []
        answer = read_answer(text, metric, config)
        if answer.score is not None:
            return self._answered(dispatcher, tracker, config, cid, metric, answer.score)
        if answer.skip:
            best_effort("survey skipped", telemetry().survey_ended, cid, status="skipped")
            best_effort("close", telemetry().close_conversation, cid)
            dispatcher.utter_message(text=config.text("skipped"))
            return end_slots()
        intent, confidence = latest_intent(tracker)
        new_question = intent in SUPPORT_INTENTS and intent not in FEEDBACK_INTENTS
        if new_question and confidence >= NEW_QUESTION_CONFIDENCE:
            return self._new_question(tracker, cid)
        guessed = guess_answer(text, metric)
        if guessed.score is not None:
            return self._answered(dispatcher, tracker, config, cid, metric, guessed.score)
        kept = is_feedback(text)
        if kept:
            best_effort("survey comment", telemetry().survey_comment, cid, metric.id, text)
        if not tracker.get_slot("survey_retry"):
            lead = config.text("comment_noted") + " " if kept else ""
            again = config.text("ask_again").format(min=metric.scale_min, max=metric.scale_max)
            dispatcher.utter_message(
                text=lead + (config.question_text(metric) if kept else again),
                buttons=survey_buttons(metric),
            )
            return [SlotSet("survey_retry", True)]
        best_effort("survey abandoned", telemetry().survey_ended, cid, status="abandoned")
        best_effort("close", telemetry().close_conversation, cid)
        dispatcher.utter_message(
            text=config.text("comment_noted") + " " + config.text("goodbye")
            if kept
            else config.text("gave_up")
        )
        return end_slots()

    def _answered(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        config: SurveyConfig,
        cid: str,
        metric: MetricDefinition,
        score: int,
    ) -> list[EventType]:
        best_effort("survey answered", telemetry().survey_answered, cid, metric.id, score)
        if metric.is_low(score) and not tracker.get_slot("survey_low_metric"):
            dispatcher.utter_message(text=config.text("comment_prompt"))
            return [
                SlotSet("survey_step", f"{COMMENT}{metric.id}"),
                SlotSet("survey_retry", False),
                SlotSet("survey_low_metric", metric.id),
            ]
        return self._next(dispatcher, tracker, config, cid, metric.id)

    def _next(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        config: SurveyConfig,
        cid: str,
        after: str,
    ) -> list[EventType]:
        """The question after ``after``, or the thanks and the goodbye when there is none."""
        store = telemetry()
        info = best_effort("conversation lookup", store.get_conversation, cid)
        following = config.next_metric(after)
        if following is None and config.nps is not None and after != config.nps.id:
            following = config.next_metric(after, nps=nps_due(config, info, store.last_surveyed_at))
        if following is None:
            best_effort("close", store.close_conversation, cid)
            dispatcher.utter_message(text=f"{config.text('thanks')} {config.text('goodbye')}")
            return end_slots()
        segment, _, agent = (tracker.get_slot("survey_segment") or "bot:").partition(":")
        ask_and_record(
            dispatcher, tracker, config, cid, following, segment or "bot", agent or None, info
        )
        return [SlotSet("survey_step", following.id), SlotSet("survey_retry", False)]

    def _comment(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        config: SurveyConfig,
        cid: str,
        metric_id: str,
        text: str,
    ) -> list[EventType]:
        if parse_survey_payload(text) is not None:  # a tap on a question already answered
            dispatcher.utter_message(text=config.text("already_answered"))
            return []
        if text.startswith("/"):  # another leftover button: still waiting for the comment
            dispatcher.utter_message(text=config.text("comment_prompt"))
            return []
        said = " ".join(text.lower().split()).strip(".!")
        if text.strip() and said not in config.skip_phrases:
            best_effort("survey comment", telemetry().survey_comment, cid, metric_id, text)
        return self._next(dispatcher, tracker, config, cid, metric_id)

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
