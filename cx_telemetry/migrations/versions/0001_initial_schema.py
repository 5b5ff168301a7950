"""initial schema

The gateway's tables (delivery keys, timers) were created here before the gateway owned
them; they now come from its own history (``bot/state/migrations``).

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applied_events",
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_applied_events")),
    )
    with op.batch_alter_table("applied_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applied_events_applied_at"), ["applied_at"], unique=False
        )

    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_bot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("intents_seen", sa.JSON(), nullable=False),
        sa.Column("support_intents", sa.JSON(), nullable=False),
        sa.Column("last_support_intent", sa.String(length=64), nullable=True),
        sa.Column("fallback_count", sa.Integer(), nullable=False),
        sa.Column("customer_turns", sa.Integer(), nullable=False),
        sa.Column("bot_turns", sa.Integer(), nullable=False),
        sa.Column("agent_turns", sa.Integer(), nullable=False),
        sa.Column("has_handoff", sa.Boolean(), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("survey_started", sa.Boolean(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversations_customer"), ["customer"], unique=False)
        batch_op.create_index(
            "ix_conversations_report",
            ["opened_at", "channel", "last_support_intent", "agent", "closed_at", "has_handoff"],
            unique=False,
        )
        batch_op.create_index(
            "uq_conversations_open_customer",
            ["channel", "customer"],
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )

    op.create_table(
        "handoffs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("first_reply_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("first_response_s", sa.Float(), nullable=True),
        sa.Column("handle_s", sa.Float(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handoffs_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            "ix_handoffs_report",
            [
                "requested_at",
                "channel",
                "intent",
                "agent",
                "wait_s",
                "first_response_s",
                "handle_s",
            ],
            unique=False,
        )
        batch_op.create_index(
            "uq_handoffs_open_conversation",
            ["conversation_id"],
            unique=True,
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )

    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("metric", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("segment", sa.String(length=8), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint(
            "conversation_id", "metric", name=op.f("uq_survey_responses_conversation_id_metric")
        ),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_responses_report",
            ["asked_at", "metric", "status", "scale_max", "score", "channel", "intent", "agent"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_responses_report")

    op.drop_table("survey_responses")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_handoffs_open_conversation",
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )
        batch_op.drop_index("ix_handoffs_report")
        batch_op.drop_index(batch_op.f("ix_handoffs_conversation_id"))

    op.drop_table("handoffs")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_conversations_open_customer",
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )
        batch_op.drop_index("ix_conversations_report")
        batch_op.drop_index(batch_op.f("ix_conversations_customer"))

    op.drop_table("conversations")
    with op.batch_alter_table("applied_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applied_events_applied_at"))

    op.drop_table("applied_events")
