"""Survey events: asked, answered (the first answer counts), a comment, ended, and why a
conversation was not surveyed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cx_telemetry.events.common import Args, as_time, from_conversation, insert_for
from cx_telemetry.models import Conversation, SurveyResponse


def _ask(s: Session, a: Args, conv: Conversation | None) -> None:
    """The response row in status ``asked`` (none if the conversation has one already)."""
    copied = from_conversation(conv)
    s.execute(
        insert_for(s, SurveyResponse)
        .values(
            conversation_id=a["cid"],
            metric=a["metric"],
            scale_max=a["scale_max"],
            status="asked",
            asked_at=as_time(a["at"]),
            segment=a.get("segment", "bot"),
            agent=a.get("agent"),
            **{
                **copied,
                "intent": a.get("intent") or copied["intent"],
                "model_version": a.get("model_version") or copied["model_version"],
            },
        )
        .on_conflict_do_nothing(index_elements=["conversation_id", "metric"])
    )


def survey_asked(s: Session, a: Args) -> None:
    conv = s.get(Conversation, a["cid"])
    _ask(s, a, conv)
    if conv is not None:
        conv.survey_started = True


def survey_answered(s: Session, a: Args) -> None:
    at = as_time(a["at"])
    answer = (
        update(SurveyResponse)
        .where(
            SurveyResponse.conversation_id == a["cid"],
            SurveyResponse.metric == a["metric"],
            SurveyResponse.status != "answered",  # the first answer counts, a replay never
            SurveyResponse.scale_max >= a["score"],
        )
        .values(score=a["score"], status="answered", answered_at=at)
    )
    result: Any = s.execute(answer)
    if result.rowcount:
        return
    exists = select(SurveyResponse.id).where(
        SurveyResponse.conversation_id == a["cid"], SurveyResponse.metric == a["metric"]
    )
    if s.scalar(exists) is not None:
        return  # already answered, or a score above the scale
    # answered without a recorded question: the question was asked just now
    asked = {"cid": a["cid"], "metric": a["metric"], "scale_max": a["scale_max"], "at": at}
    _ask(s, asked, s.get(Conversation, a["cid"]))
    s.execute(answer)


def survey_comment(s: Session, a: Args) -> None:
    s.execute(
        update(SurveyResponse)
        .where(SurveyResponse.conversation_id == a["cid"], SurveyResponse.metric == a["metric"])
        .values(comment=a["comment"])
    )


def survey_ended(s: Session, a: Args) -> None:
    s.execute(
        update(SurveyResponse)
        .where(SurveyResponse.conversation_id == a["cid"], SurveyResponse.status == "asked")
        .values(status=a["status"])
    )


def survey_not_asked(s: Session, a: Args) -> None:
    """The first reason counts, and none once a survey started (a late replay changes
    nothing)."""
    s.execute(
        update(Conversation)
        .where(
            Conversation.id == a["cid"],
            Conversation.not_surveyed.is_(None),
            Conversation.survey_started.is_(False),
        )
        .values(not_surveyed=a["reason"])
    )
