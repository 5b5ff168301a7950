"""Typed values the store hands to its callers (frozen dataclasses, no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ConversationInfo:
    """One conversation as the gateway and the actions need to see it."""

    id: str
    channel: str
    opened_at: datetime
    closed_at: datetime | None
    outcome: str | None
    support_intents: tuple[str, ...]
    last_support_intent: str | None
    fallback_count: int
    customer_turns: int
    bot_turns: int
    last_bot_at: datetime | None
    survey_started: bool
    handoff_open: bool
    agent_turns: int = 0
    locale: str | None = None
    model_version: str | None = None


@dataclass(frozen=True)
class HandoffInfo:
    """One handoff to a human agent; ``claimed_at``/``resolved_at`` are None until they happen."""

    id: str
    conversation_id: str
    reason: str | None
    requested_at: datetime
    claimed_at: datetime | None
    agent: str | None
    first_reply_at: datetime | None
    resolved_at: datetime | None
    outcome: str | None
