"""gateway state: delivery keys, timers, staff-desk cases and their audit log

These tables were created by the telemetry history (its revisions 0001-0003) before the
gateway owned them. On such a database they are adopted as they are (plus the
``contact_email`` column if the database stopped before telemetry revision 0003); on a new
database they are created here.

Revision ID: g0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "delivery_keys" not in existing:
        _delivery_keys()
    if "timers" not in existing:
        _timers()
    if "handoff_actions" not in existing:
        _handoff_actions()
    if "handoff_cases" not in existing:
        _handoff_cases()
    else:
        columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("handoff_cases")}
        if "contact_email" not in columns:
            with op.batch_alter_table("handoff_cases") as batch:
                batch.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))


def _delivery_keys() -> None:
    op.create_table(
        "delivery_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_delivery_keys")),
    )
    with op.batch_alter_table("delivery_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_keys_seen_at"), ["seen_at"], unique=False)


def _timers() -> None:
    op.create_table(
        "timers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
        sa.UniqueConstraint("kind", "conversation_id", name=op.f("uq_timers_kind_conversation_id")),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_timers_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_timers_due_at"), ["due_at"], unique=False)


def _handoff_actions() -> None:
    op.create_table(
        "handoff_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("handoff_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("slack_user", sa.String(length=32), nullable=True),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_actions")),
    )
    with op.batch_alter_table("handoff_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_actions_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_handoff_actions_handoff_id"), ["handoff_id"], unique=False
        )


def _handoff_cases() -> None:
    op.create_table(
        "handoff_cases",
        sa.Column("handoff_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=True),
        sa.Column("customer_name", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=32), nullable=True),
        sa.Column("follow_up_offered", sa.Boolean(), nullable=False),
        sa.Column("staff_channel", sa.String(length=32), nullable=True),
        sa.Column("card_ts", sa.String(length=32), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("handoff_id", name=op.f("pk_handoff_cases")),
    )
    with op.batch_alter_table("handoff_cases", schema=None) as batch_op:
        batch_op.create_index("ix_handoff_cases_card", ["staff_channel", "card_ts"], unique=False)
        batch_op.create_index(
            "uq_handoff_cases_open_sender",
            ["sender_id"],
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )


def downgrade() -> None:
    for table in ("handoff_cases", "handoff_actions", "timers", "delivery_keys"):
        op.drop_table(table)
