"""The telemetry schema (SQLAlchemy 2 typed ORM). Alembic migrations must produce exactly this.

No foreign keys between the tables on purpose: writes reach the database through per-process
outboxes, so a survey answer may legitimately arrive before the conversation row of another
process. Erasure and retention delete by ``conversation_id`` explicitly (see ``erasure.py``).
Customers appear only as HMAC pseudonyms (``conversations.customer``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


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
    )  # fmt: skip

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    customer: Mapped[str] = mapped_column(String(64), index=True)  # HMAC pseudonym
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
    customer_turns: Mapped[int] = mapped_column(default=0)
    bot_turns: Mapped[int] = mapped_column(default=0)
    agent_turns: Mapped[int] = mapped_column(default=0)
    has_handoff: Mapped[bool] = mapped_column(default=False)
    agent: Mapped[str | None] = mapped_column(String(128))  # last agent who claimed a handoff
    survey_started: Mapped[bool] = mapped_column(default=False)
    synthetic: Mapped[bool] = mapped_column(default=False)


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
    metric: Mapped[str] = mapped_column(String(8))  # csat | ces
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


class DeliveryKey(Base):
    """Platform update ids already processed: ``first_delivery`` dedupe across gateways."""

    __tablename__ = "delivery_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class TimerRow(Base):
    """Durable gateway timers: one pending timer per (kind, conversation)."""

    __tablename__ = "timers"
    __table_args__ = (UniqueConstraint("kind", "conversation_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[str] = mapped_column(ID, index=True)
    due_at: Mapped[datetime] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]


class AppliedEvent(Base):
    """Ids of outbox events already applied, so a replay that crashed half-way counts once."""

    __tablename__ = "applied_events"

    event_id: Mapped[str] = mapped_column(ID, primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(index=True)


# The staff desk's tables live in their own module; importing it registers them on ``Base``.
from cx_telemetry import handoff_models as _handoff_models  # noqa: E402, F401
