"""inbox: accepted platform deliveries, durable before the webhook answers 200

Revision ID: g0005_inbox
Revises: g0004_alerts
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0005_inbox"
down_revision: str | None = "g0004_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if "inbox" in sa.inspect(op.get_bind()).get_table_names():
        return  # made by ``create_all`` from the models
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("delivery_key", name=op.f("uq_inbox_delivery_key")),
    )
    with op.batch_alter_table("inbox") as batch:
        batch.create_index(batch.f("ix_inbox_claimed_until"), ["claimed_until"])
        batch.create_index(batch.f("ix_inbox_conversation_key"), ["conversation_key"])


def downgrade() -> None:
    op.drop_table("inbox")
