"""clarifications: the topics offered when the assistant was unsure, and the one picked

Revision ID: 0006_clarifications
Revises: 0005_customer_key
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_clarifications"
down_revision: str | None = "0005_customer_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clarifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("offered", sa.JSON(), nullable=False),
        sa.Column("confidences", sa.JSON(), nullable=False),
        sa.Column("picked", sa.String(length=64), nullable=True),
        sa.Column("picked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clarifications")),
    )
    with op.batch_alter_table("clarifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clarifications_asked_at"), ["asked_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_clarifications_conversation_id"), ["conversation_id"], unique=False
        )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column("clarification_count", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("conversations") as batch:
        batch.alter_column("clarification_count", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("clarification_count")
    op.drop_table("clarifications")
