"""Conversation events: opened, a turn, an intent, a fallback, closed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from cx_telemetry.events.common import Args, as_time, insert_for, real_conversation_id
from cx_telemetry.events.customers import active_link, mark_recontacts
from cx_telemetry.models import Conversation, ConversationAlias, SurveyResponse, TranscriptTurn

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
    """The customer's open conversation on the channel, else a new one with id ``a["id"]``.

    Replayed from the outbox (``reuse`` false), ``a["id"]`` was handed out during the outage and
    later events use it: if the customer had an open conversation, the id becomes its alias
    (never a second conversation that closes the real one); else it is the new one's id."""
    real = real_conversation_id(s, a["id"])
    if s.get(Conversation, real) is not None:
        return str(real)
    open_for_customer = (Conversation.channel == a["channel"]) & (
        Conversation.customer == a["customer"]
    )
    existing = s.scalar(
        select(Conversation.id).where(open_for_customer, Conversation.closed_at.is_(None))
    )
    at = as_time(a["at"])
    if existing and not a.get("reuse", True):
        s.execute(
            insert_for(s, ConversationAlias)
            .values(alias_id=a["id"], conversation_id=existing, created_at=at)
            .on_conflict_do_nothing()
        )
    if existing:
        return str(existing)
    link = active_link(s, a["customer"], at)  # a verified chat: the shop customer's key
    s.execute(
        insert_for(s, Conversation)
        .values(
            id=a["id"],
            channel=a["channel"],
            customer=a["customer"],
            customer_key=link.customer_key if link else a["customer"],
            verified_at=link.linked_at if link else None,
            opened_at=at,
            last_activity_at=at,
            locale=a.get("locale"),
            model_version=a.get("model_version"),
            intents_seen=[],
            support_intents=[],
            order_keys=[],
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
    at = as_time(a["at"])
    col = {
        "customer": Conversation.customer_turns,
        "bot": Conversation.bot_turns,
        "agent": Conversation.agent_turns,
    }[a["by"]]
    values: dict[str, Any] = {col.key: col + 1, "last_activity_at": at}
    if a["by"] == "bot":
        values["last_bot_at"] = at
    s.execute(update(Conversation).where(Conversation.id == a["cid"]).values(**values))
    if a.get("text"):  # already redacted by the store
        s.add(TranscriptTurn(conversation_id=a["cid"], at=at, by=a["by"], text=a["text"]))


def note_intent(s: Session, a: Args) -> None:
    conv = s.scalar(select(Conversation).where(Conversation.id == a["cid"]).with_for_update())
    if conv is None:
        return
    intent = a["intent"]
    if intent not in conv.intents_seen:
        conv.intents_seen = [*conv.intents_seen, intent]
    conv.last_activity_at = as_time(a["at"])
    if a.get("support", True):
        conv.last_support_intent = intent
        if intent not in conv.support_intents:
            conv.support_intents = [*conv.support_intents, intent]
            mark_recontacts(s, conv, [intent], ())


def note_fallback(s: Session, a: Args) -> None:
    s.execute(
        update(Conversation)
        .where(Conversation.id == a["cid"])
        .values(fallback_count=Conversation.fallback_count + 1, last_activity_at=as_time(a["at"]))
    )


def close_conversation(s: Session, a: Args) -> None:
    _close(s, Conversation.id == a["cid"], as_time(a["at"]), a.get("outcome"))
