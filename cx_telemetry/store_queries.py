"""The SQL behind ``TelemetryStore``'s readers, one function per reader, each given the
store's session (the store runs it and raises ``StoreUnavailable`` on an outage)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cx_telemetry.events.common import real_conversation_id
from cx_telemetry.models import Conversation, Handoff, SurveyResponse, TranscriptTurn
from cx_telemetry.records import ConversationInfo, HandoffInfo


def conversation(s: Session, cid: str) -> ConversationInfo | None:
    c = s.get(Conversation, real_conversation_id(s, cid))
    if c is None:
        return None
    open_h = s.scalar(
        select(Handoff.id).where(Handoff.conversation_id == c.id, Handoff.resolved_at.is_(None))
    )
    return ConversationInfo.of(c, handoff_open=open_h is not None)


def last_surveyed_at(
    s: Session, customer_key: str, metric: str | None, besides: str | None
) -> datetime | None:
    query = (
        select(func.max(SurveyResponse.asked_at))
        .join(Conversation, Conversation.id == SurveyResponse.conversation_id)
        .where(Conversation.customer_key == customer_key)
    )
    if metric is not None:
        query = query.where(SurveyResponse.metric == metric)
    if besides is not None:
        query = query.where(SurveyResponse.conversation_id != besides)
    last: datetime | None = s.scalar(query)
    return last


def transcript(s: Session, cid: str, last: int | None) -> list[tuple[str, str]]:
    t = TranscriptTurn
    query = select(t.by, t.text).where(t.conversation_id == cid).order_by(t.id.desc())
    if last is not None:
        query = query.limit(last)
    return [(str(by), str(text)) for by, text in reversed(s.execute(query).all())]


def asked_survey(s: Session, channel: str, customer: str, metric: str) -> str | None:
    """``customer`` is the chat's pseudonym."""
    found: str | None = s.scalar(
        select(SurveyResponse.conversation_id)
        .join(Conversation, Conversation.id == SurveyResponse.conversation_id)
        .where(
            Conversation.channel == channel,
            Conversation.customer == customer,
            Conversation.closed_at.is_(None),
            SurveyResponse.metric == metric,
            SurveyResponse.status == "asked",
        )
        .order_by(SurveyResponse.asked_at.desc())
        .limit(1)
    )
    return found


def open_handoff(s: Session, cid: str) -> HandoffInfo | None:
    h = s.scalar(
        select(Handoff).where(Handoff.conversation_id == cid, Handoff.resolved_at.is_(None))
    )
    return None if h is None else HandoffInfo.of(h)
