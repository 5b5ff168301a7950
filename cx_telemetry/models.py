"""The telemetry schema (SQLAlchemy 2 typed ORM). Alembic migrations must produce exactly this.

No foreign keys between the tables on purpose: writes reach the database through per-process
outboxes, so a survey answer may legitimately arrive before the conversation row of another
process. Erasure and retention delete by ``conversation_id`` explicitly (see ``erasure.py``).
Customers appear only as HMAC pseudonyms: ``conversations.customer`` of the platform id,
``customer_key`` of the shop customer id once the chat is verified, and orders as
``order_keys``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, MetaData, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cx_telemetry.db import NAMING_CONVENTION, UTCDateTime

ID = String(32)  # uuid4 hex


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # at most one open conversation per customer and channel, across processes
        Index(
            "uq_conversations_open_customer",
            "channel",
            "customer",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        # covering indexes for the report (cx_telemetry/report*.py), so it reads these narrow
        # indexes instead of the wide rows: weekly sums by time range, and the breakdowns by
        # group, whose leading columns are the GROUP BY keys (SQLite aggregates without a sort)
        Index(
            "ix_conversations_report",
            "opened_at", "channel", "last_support_intent", "agent", "closed_at", "has_handoff",
            "synthetic",
        ),
        Index(
            "ix_conversations_report_groups",
            "channel", "last_support_intent", "agent", "has_handoff", "synthetic", "opened_at",
            "closed_at",
        ),
        Index(  # the report's "surveys not asked, and why": only the few such rows
            "ix_conversations_not_surveyed",
            "opened_at", "not_surveyed", "synthetic",
            sqlite_where=text("not_surveyed IS NOT NULL"),
            postgresql_where=text("not_surveyed IS NOT NULL"),
        ),
        Index(  # durable containment: the contained conversations that were re-contacted
            "ix_conversations_recontacted",
            "opened_at", "channel", "last_support_intent", "agent", "closed_at", "synthetic",
            sqlite_where=text("recontacted = 1 AND has_handoff = 0"),
            postgresql_where=text("recontacted AND NOT has_handoff"),
        ),
    )  # fmt: skip

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    customer: Mapped[str] = mapped_column(String(64), index=True)  # HMAC pseudonym
    # one customer across channels: HMAC of the shop customer id while the chat is verified,
    # else the same as ``customer``
    customer_key: Mapped[str] = mapped_column(String(64), index=True)
    verified_at: Mapped[datetime | None]  # when the chat was verified (in or before this one)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    last_bot_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))  # contained | escalated | abandoned
    locale: Mapped[str | None] = mapped_column(String(16))
    model_version: Mapped[str | None] = mapped_column(String(64))
    intents_seen: Mapped[list[str]] = mapped_column(default=list)
    support_intents: Mapped[list[str]] = mapped_column(default=list)
    last_support_intent: Mapped[str | None] = mapped_column(String(64))
    fallback_count: Mapped[int] = mapped_column(default=0)
    clarification_count: Mapped[int] = mapped_column(default=0)
    customer_turns: Mapped[int] = mapped_column(default=0)
    bot_turns: Mapped[int] = mapped_column(default=0)
    agent_turns: Mapped[int] = mapped_column(default=0)
    has_handoff: Mapped[bool] = mapped_column(default=False)
    agent: Mapped[str | None] = mapped_column(String(128))  # last agent who claimed a handoff
    survey_started: Mapped[bool] = mapped_column(default=False)
    # why the conversation got no survey although it could have: cooldown | sampled_out | staff
    not_surveyed: Mapped[str | None] = mapped_column(String(16))
    synthetic: Mapped[bool] = mapped_column(default=False)
    order_keys: Mapped[list[str]] = mapped_column(default=list)  # HMAC pseudonyms of orders
    # the same customer came back about the same topic (support intent or order) within 7
    # days of this conversation, on any channel (see events/customers.py)
    recontacted: Mapped[bool] = mapped_column(default=False)
    recontacted_at: Mapped[datetime | None]


class SurveyResponse(Base):
    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("conversation_id", "metric"),
        Index(  # time-ordered: retention purges and period filters
            "ix_survey_responses_report",
            "asked_at",
            "metric",
            "status",
            "scale_max",
            "score",
            "channel",
            "intent",
            "agent",
        ),
        Index(  # the report's breakdowns (see conversations)
            "ix_survey_responses_report_groups",
            "channel", "intent", "agent", "segment", "metric", "status", "scale_max", "score",
            "asked_at", "synthetic",
        ),
        Index(  # the report's weekly trends: a range count per score and week
            "ix_survey_responses_report_days",
            "metric", "status", "scale_max", "score", "asked_at", "synthetic",
        ),
        Index(  # what customers said: only the few rows with a comment
            "ix_survey_responses_comments",
            "asked_at", "intent", "metric", "status", "score", "answered_at", "synthetic",
            sqlite_where=text("comment IS NOT NULL"),
            postgresql_where=text("comment IS NOT NULL"),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ID)
    channel: Mapped[str | None] = mapped_column(String(32))
    metric: Mapped[str] = mapped_column(String(8))  # csat | ces | nps
    score: Mapped[int | None]
    scale_max: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # asked|answered|skipped|expired|abandoned
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    segment: Mapped[str] = mapped_column(String(8))  # bot | agent
    agent: Mapped[str | None] = mapped_column(String(128))
    intent: Mapped[str | None] = mapped_column(String(64))  # last support intent
    model_version: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)  # redacted
    synthetic: Mapped[bool] = mapped_column(default=False)


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        Index(
            "uq_handoffs_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index(  # covering indexes for the report (see conversations)
            "ix_handoffs_report",
            "requested_at", "channel", "intent", "agent", "wait_s", "first_response_s",
            "handle_s", "synthetic",
        ),
        Index(
            "ix_handoffs_report_groups",
            "channel", "intent", "agent", "outcome", "requested_at", "wait_s",
            "first_response_s", "handle_s", "synthetic",
        ),
    )  # fmt: skip

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ID, index=True)
    channel: Mapped[str | None] = mapped_column(String(32))
    intent: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    agent: Mapped[str | None] = mapped_column(String(128))
    first_reply_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    # seconds, computed when the event lands so that report() is one GROUP BY per table
    wait_s: Mapped[float | None]  # claimed - requested
    first_response_s: Mapped[float | None]  # first agent reply - requested
    handle_s: Mapped[float | None]  # resolved - claimed
    synthetic: Mapped[bool] = mapped_column(default=False)


class AppliedEvent(Base):
    """Ids of outbox events already applied, so a replay that crashed half-way counts once."""

    __tablename__ = "applied_events"

    event_id: Mapped[str] = mapped_column(ID, primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(index=True)


class CustomerLink(Base):
    """A chat (platform pseudonym) verified for a shop customer (``customer_key``) until
    ``expires_at``: conversations the chat opens meanwhile carry the customer key. Kept after
    it ends, so erasure by shop customer finds every chat that was theirs."""

    __tablename__ = "customer_links"

    chat: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(64), index=True)
    linked_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class VerificationAttempt(Base):
    """One try at proving who you are: an order's e-mail, a code request or a typed code, and
    how it went. Never the e-mail or the code itself."""

    __tablename__ = "verification_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ID, index=True)
    channel: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # order_email | code_request | code
    outcome: Mapped[str] = mapped_column(String(16))  # ok|wrong|expired|no_code|locked|mail_failed
    at: Mapped[datetime] = mapped_column(index=True)
    synthetic: Mapped[bool] = mapped_column(default=False)


class Clarification(Base):
    """The assistant was unsure and offered the likeliest topics as buttons: what the customer
    wrote (redacted), what was offered with what confidence, and what they picked (an offered
    intent, ``something_else``, or nothing). The best training signal a shop gets."""

    __tablename__ = "clarifications"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ID, index=True)
    channel: Mapped[str | None] = mapped_column(String(32))
    asked_at: Mapped[datetime] = mapped_column(index=True)
    text: Mapped[str | None] = mapped_column(Text)  # redacted
    offered: Mapped[list[str]] = mapped_column(default=list)
    confidences: Mapped[list[float]] = mapped_column(JSON, default=list)
    picked: Mapped[str | None] = mapped_column(String(64))
    picked_at: Mapped[datetime | None]
    model_version: Mapped[str | None] = mapped_column(String(64))
    synthetic: Mapped[bool] = mapped_column(default=False)


class TranscriptTurn(Base):
    """One message of a conversation, by the customer, the bot or an agent, redacted when it
    was stored (``privacy.redact``). Kept for the review queue, and purged after its own
    retention (``CX_TRANSCRIPT_RETENTION_DAYS``), sooner than the figures."""

    __tablename__ = "transcripts"
    __table_args__ = (Index("ix_transcripts_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ID)
    at: Mapped[datetime] = mapped_column(index=True)
    by: Mapped[str] = mapped_column(String(8))  # customer | bot | agent
    text: Mapped[str] = mapped_column(Text)  # redacted


class ConversationAlias(Base):
    """An id handed out while the database was down (``open_conversation`` from the outbox),
    for a customer who already had an open conversation: on replay the id becomes an alias of
    that conversation, and every event for it lands there, so an outage never splits one."""

    __tablename__ = "conversation_aliases"

    alias_id: Mapped[str] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ID, index=True)
    created_at: Mapped[datetime]
