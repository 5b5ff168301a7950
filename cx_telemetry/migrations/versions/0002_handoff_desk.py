"""handoff desk: staff-desk cases and the audit log of staff actions

Revision ID: 0002_handoff_desk
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_handoff_desk"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
    with op.batch_alter_table("handoff_cases", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_handoff_cases_open_sender",
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )
        batch_op.drop_index("ix_handoff_cases_card")

    op.drop_table("handoff_cases")
    with op.batch_alter_table("handoff_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_actions_handoff_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_actions_at"))

    op.drop_table("handoff_actions")
