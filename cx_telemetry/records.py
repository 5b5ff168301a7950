"""Typed values the store hands to its callers (frozen dataclasses, no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cx_telemetry.models import Conversation, Handoff


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
    customer_key: str | None = None  # the shop customer's key once verified, else the chat's
    verified: bool = False
    recontacted: bool = False
    not_surveyed: str | None = None  # cooldown | sampled_out | staff

    @classmethod
    def of(cls, c: Conversation, handoff_open: bool) -> ConversationInfo:
        return cls(
            id=c.id,
            channel=c.channel,
            opened_at=c.opened_at,
            closed_at=c.closed_at,
            outcome=c.outcome,
            support_intents=tuple(c.support_intents or ()),
            last_support_intent=c.last_support_intent,
            fallback_count=c.fallback_count,
            customer_turns=c.customer_turns,
            bot_turns=c.bot_turns,
            last_bot_at=c.last_bot_at,
            survey_started=c.survey_started,
            handoff_open=handoff_open,
            agent_turns=c.agent_turns,
            locale=c.locale,
            model_version=c.model_version,
            customer_key=c.customer_key,
            verified=c.verified_at is not None,
            recontacted=c.recontacted,
            not_surveyed=c.not_surveyed,
        )


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

    @classmethod
    def of(cls, h: Handoff) -> HandoffInfo:
        return cls(
            id=h.id,
            conversation_id=h.conversation_id,
            reason=h.reason,
            requested_at=h.requested_at,
            claimed_at=h.claimed_at,
            agent=h.agent,
            first_reply_at=h.first_reply_at,
            resolved_at=h.resolved_at,
            outcome=h.outcome,
        )
