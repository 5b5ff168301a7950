"""What every event's apply function uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cx_telemetry.db import dialect_insert
from cx_telemetry.models import Conversation, ConversationAlias

Args = dict[str, Any]


def as_time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def insert_for(session: Session, model: type) -> Any:
    return dialect_insert(model.__table__, session.get_bind().dialect.name)  # type: ignore[attr-defined]


def from_conversation(conv: Conversation | None) -> dict[str, Any]:
    """What a survey response or handoff row copies from its conversation when it is
    created, so that report() is one GROUP BY per table."""
    if conv is None:
        return {"channel": None, "intent": None, "model_version": None, "synthetic": False}
    return {
        "channel": conv.channel,
        "intent": conv.last_support_intent,
        "model_version": conv.model_version,
        "synthetic": conv.synthetic,
    }


def real_conversation_id(session: Session, cid: str) -> str:
    """``cid``, or the conversation it is an alias of (an id handed out during an outage)."""
    real = session.scalar(
        select(ConversationAlias.conversation_id).where(ConversationAlias.alias_id == cid)
    )
    return real or cid
