"""Whether to survey when telemetry cannot tell: its database is down, or the conversation id is
an outage alias (handed out by the outbox, mapped to the real conversation on replay) that the
database does not know yet.

The survey then fails open: the answers go through the outbox like every telemetry write and
land on the real conversation when the database is back. What the engine's own tracker shows
still holds it back: no support question since the last survey began ("never twice", and no
survey after a bare greeting), or a survey begun within ``cooldown_days``. Staff's "No survey"
and the customer's surveys in other chats are in the database only; they cannot be read now.
"""

from __future__ import annotations

from datetime import datetime

from rasa_sdk import Tracker

from actions.context import SUPPORT_INTENTS
from actions.survey_config import SurveyConfig
from actions.survey_hygiene import sampled_in
from contract import HANDOFF_RESOLVED_INTENT, utcnow


def _survey_began(event: dict[str, object]) -> bool:
    return (
        event.get("event") == "slot"
        and event.get("name") == "survey_active"
        and bool(event.get("value"))
    )


def _intent(event: dict[str, object]) -> str | None:
    parse_data = event.get("parse_data")
    intent = parse_data.get("intent") if isinstance(parse_data, dict) else None
    name = intent.get("name") if isinstance(intent, dict) else None
    return str(name) if name else None


def asked_since_last_question(tracker: Tracker) -> bool:
    """This chat began a survey after its latest support question: "never twice" by the
    tracker, which holds even while the survey's own rows still wait in the outbox."""
    for event in reversed(tracker.events):
        if _survey_began(event):
            return True
        if event.get("event") == "user" and _intent(event) in SUPPORT_INTENTS:
            return False
    return False


def eligible_unread(tracker: Tracker, trigger: str | None) -> bool:
    """A resolved handoff, or a support question since the last survey began (the current
    message included)."""
    if trigger == HANDOFF_RESOLVED_INTENT:
        return True
    questions = (e for e in tracker.events if e.get("event") == "user")
    return any(_intent(e) in SUPPORT_INTENTS for e in questions) and not (
        asked_since_last_question(tracker)
    )


def reason_not_to_survey_unread(
    config: SurveyConfig, tracker: Tracker, cid: str, now: datetime | None = None
) -> str | None:
    """``cooldown`` when this chat began a survey within ``cooldown_days`` (by the tracker's
    timestamps), ``sampled_out`` by the conversation id, else None."""
    if config.cooldown:
        since = ((now or utcnow()) - config.cooldown).timestamp()
        for event in tracker.events:
            at = event.get("timestamp")
            if _survey_began(event) and isinstance(at, int | float) and at > since:
                return "cooldown"
    if not sampled_in(cid, config.sample_rate):
        return "sampled_out"
    return None
