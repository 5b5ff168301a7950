"""Telemetry events and how each one lands in the database.

Every telemetry write of the store is an *event*: an operation name and JSON-able arguments.
It is applied in one transaction, either at once or later from the outbox, and each apply
function is an idempotent upsert where repetition could double-count (one response per
conversation and metric; first claim, first reply and first resolve win).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from cx_telemetry.db import dialect_insert
from cx_telemetry.models import Conversation, Handoff, SurveyResponse

Args = dict[str, Any]


def _t(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _ins(session: Session, model: type) -> Any:
    return dialect_insert(model.__table__, session.get_bind().dialect.name)  # type: ignore[attr-defined]


_DERIVED_OUTCOME = case(
    (Conversation.has_handoff.is_(True), "escalated"),
    (Conversation.last_support_intent.is_not(None), "contained"),
    else_="abandoned",
)


def _close(session: Session, where: Any, at: datetime, outcome: str | None) -> list[str]:
    ids = list(
        session.scalars(select(Conversation.id).where(where, Conversation.closed_at.is_(None)))
    )
    if not ids:
        return ids
    session.execute(
        update(Conversation)
        .where(Conversation.id.in_(ids))
        .values(closed_at=at, outcome=outcome if outcome else _DERIVED_OUTCOME)
    )
    session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.conversation_id.in_(ids), SurveyResponse.status == "asked")
        .values(status="expired")
    )
    return ids


def open_conversation(s: Session, a: Args) -> str:
    """Reuse the customer's open conversation on the channel (``reuse``) or open ``a["id"]``."""
    if s.get(Conversation, a["id"]) is not None:
        return str(a["id"])
    open_for_customer = (Conversation.channel == a["channel"]) & (
        Conversation.customer == a["customer"]
    )
    if a.get("reuse", True):
        existing = s.scalar(
            select(Conversation.id).where(open_for_customer, Conversation.closed_at.is_(None))
        )
        if existing:
            return existing
    else:  # replayed from the outbox: later events use this id, so it must exist
        _close(s, open_for_customer, _t(a["at"]), None)
    at = _t(a["at"])
    s.execute(
        _ins(s, Conversation)
        .values(
            id=a["id"],
            channel=a["channel"],
            customer=a["customer"],
            opened_at=at,
            last_activity_at=at,
            locale=a.get("locale"),
            model_version=a.get("model_version"),
            intents_seen=[],
            support_intents=[],
            synthetic=bool(a.get("synthetic", False)),
        )
        .on_conflict_do_nothing()
    )
    if s.get(Conversation, a["id"]) is not None:
        s.execute(
            update(SurveyResponse)
            .where(SurveyResponse.conversation_id == a["id"], SurveyResponse.channel.is_(None))
            .values(channel=a["channel"])
        )
        return str(a["id"])
    # another process opened one for this customer in the meantime: use it
    return str(
        s.scalar(select(Conversation.id).where(open_for_customer, Conversation.closed_at.is_(None)))
    )


def note_turn(s: Session, a: Args) -> None:
    at = _t(a["at"])
    col = {
        "customer": Conversation.customer_turns,
        "bot": Conversation.bot_turns,
        "agent": Conversation.agent_turns,
    }[a["by"]]
    values: dict[str, Any] = {col.key: col + 1, "last_activity_at": at}
    if a["by"] == "bot":
        values["last_bot_at"] = at
    s.execute(update(Conversation).where(Conversation.id == a["cid"]).values(**values))


def note_intent(s: Session, a: Args) -> None:
    conv = s.scalar(select(Conversation).where(Conversation.id == a["cid"]).with_for_update())
    if conv is None:
        return
    intent = a["intent"]
    if intent not in conv.intents_seen:
        conv.intents_seen = [*conv.intents_seen, intent]
    if a.get("support", True):
        if intent not in conv.support_intents:
            conv.support_intents = [*conv.support_intents, intent]
        conv.last_support_intent = intent
    conv.last_activity_at = _t(a["at"])


def note_fallback(s: Session, a: Args) -> None:
    s.execute(
        update(Conversation)
        .where(Conversation.id == a["cid"])
        .values(fallback_count=Conversation.fallback_count + 1, last_activity_at=_t(a["at"]))
    )


def close_conversation(s: Session, a: Args) -> None:
    _close(s, Conversation.id == a["cid"], _t(a["at"]), a.get("outcome"))


def survey_asked(s: Session, a: Args) -> None:
    conv = s.get(Conversation, a["cid"])
    s.execute(
        _ins(s, SurveyResponse)
        .values(
            conversation_id=a["cid"],
            metric=a["metric"],
            scale_max=a["scale_max"],
            status="asked",
            asked_at=_t(a["at"]),
            segment=a["segment"],
            agent=a.get("agent"),
            channel=conv.channel if conv else None,
            intent=a.get("intent") or (conv.last_support_intent if conv else None),
            model_version=a.get("model_version") or (conv.model_version if conv else None),
            synthetic=conv.synthetic if conv else False,
        )
        .on_conflict_do_nothing(index_elements=["conversation_id", "metric"])
    )
    if conv is not None:
        conv.survey_started = True


def survey_answered(s: Session, a: Args) -> None:
    at = _t(a["at"])
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
    conv = s.get(Conversation, a["cid"])
    s.execute(  # answered without a recorded question: the question was asked just now
        _ins(s, SurveyResponse)
        .values(
            conversation_id=a["cid"],
            metric=a["metric"],
            scale_max=a["scale_max"],
            status="asked",
            asked_at=at,
            segment="bot",
            channel=conv.channel if conv else None,
            intent=conv.last_support_intent if conv else None,
            model_version=conv.model_version if conv else None,
            synthetic=conv.synthetic if conv else False,
        )
        .on_conflict_do_nothing(index_elements=["conversation_id", "metric"])
    )
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


def handoff_requested(s: Session, a: Args) -> str:
    """Reuse the conversation's open handoff (``reuse``) or create ``a["id"]``."""
    if s.get(Handoff, a["id"]) is not None:
        return str(a["id"])
    open_h = select(Handoff.id).where(
        Handoff.conversation_id == a["cid"], Handoff.resolved_at.is_(None)
    )
    at = _t(a["at"])
    if a.get("reuse", True):
        existing = s.scalar(open_h)
        if existing:
            return existing
    else:  # replayed: later events use a["id"]; an older open handoff is superseded
        s.execute(
            update(Handoff)
            .where(Handoff.conversation_id == a["cid"], Handoff.resolved_at.is_(None))
            .values(resolved_at=at, outcome="cancelled")
        )
    conv = s.get(Conversation, a["cid"])
    s.execute(
        _ins(s, Handoff)
        .values(
            id=a["id"],
            conversation_id=a["cid"],
            reason=a.get("reason"),
            requested_at=at,
            channel=conv.channel if conv else None,
            intent=conv.last_support_intent if conv else None,
            synthetic=conv.synthetic if conv else False,
        )
        .on_conflict_do_nothing()
    )
    if conv is not None:
        conv.has_handoff = True
    if s.get(Handoff, a["id"]) is not None:
        return str(a["id"])
    return str(s.scalar(open_h))


def _seconds(end: datetime, start: datetime | None) -> float | None:
    return None if start is None else max(0.0, (end - start).total_seconds())


def handoff_claimed(s: Session, a: Args) -> None:
    h = s.scalar(select(Handoff).where(Handoff.id == a["hid"]).with_for_update())
    if h is None or h.claimed_at is not None:
        return
    at = _t(a["at"])
    h.claimed_at, h.agent, h.wait_s = at, a["agent"], _seconds(at, h.requested_at)
    s.execute(
        update(Conversation).where(Conversation.id == h.conversation_id).values(agent=a["agent"])
    )


def handoff_agent_replied(s: Session, a: Args) -> None:
    h = s.scalar(select(Handoff).where(Handoff.id == a["hid"]).with_for_update())
    if h is None or h.first_reply_at is not None:
        return
    at = _t(a["at"])
    h.first_reply_at, h.first_response_s = at, _seconds(at, h.requested_at)


def handoff_resolved(s: Session, a: Args) -> None:
    h = s.scalar(select(Handoff).where(Handoff.id == a["hid"]).with_for_update())
    if h is None or h.resolved_at is not None:
        return
    at = _t(a["at"])
    h.resolved_at, h.outcome = at, a["outcome"]
    h.handle_s = _seconds(at, h.claimed_at)
    if a.get("agent"):
        h.agent = a["agent"]


APPLY: dict[str, Callable[[Session, Args], Any]] = {
    f.__name__: f
    for f in (
        open_conversation,
        note_turn,
        note_intent,
        note_fallback,
        close_conversation,
        survey_asked,
        survey_answered,
        survey_comment,
        survey_ended,
        handoff_requested,
        handoff_claimed,
        handoff_agent_replied,
        handoff_resolved,
    )
}
