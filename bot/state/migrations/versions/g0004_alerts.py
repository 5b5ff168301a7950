"""detractor alerts: one row per alerted survey response (idempotence, rate limit, Follow up)

Revision ID: g0004_alerts
Revises: g0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0004_alerts"
down_revision: str | None = "g0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if "detractor_alerts" in sa.inspect(op.get_bind()).get_table_names():
        return  # made by ``create_all`` from the models (a database set up before this history)
    op.create_table(
        "detractor_alerts",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alert_channel", sa.String(length=32), nullable=True),
        sa.Column("card_ts", sa.String(length=32), nullable=True),
        sa.Column("sender_id", sa.String(length=200), nullable=True),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("handoff_id", sa.String(length=32), nullable=True),
        sa.Column("followed_up_by", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_detractor_alerts")),
    )
    with op.batch_alter_table("detractor_alerts") as batch:
        batch.create_index(batch.f("ix_detractor_alerts_claimed_at"), ["claimed_at"])
        batch.create_index(batch.f("ix_detractor_alerts_conversation_id"), ["conversation_id"])
        batch.create_index(batch.f("ix_detractor_alerts_customer"), ["customer"])


def downgrade() -> None:
    op.drop_table("detractor_alerts")
