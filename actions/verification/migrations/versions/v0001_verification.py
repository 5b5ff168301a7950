"""verification: verified chats, one-time codes, failures

Revision ID: v0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "v0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "verified_chats",
        sa.Column("chat", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("linked_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("chat", name=op.f("pk_verified_chats")),
    )
    with op.batch_alter_table("verified_chats") as batch:
        batch.create_index(batch.f("ix_verified_chats_customer_id"), ["customer_id"])
        batch.create_index(batch.f("ix_verified_chats_expires_at"), ["expires_at"])

    op.create_table(
        "one_time_codes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("chat", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=True),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("spent_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_codes")),
    )
    with op.batch_alter_table("one_time_codes") as batch:
        batch.create_index("ix_one_time_codes_chat_created_at", ["chat", "created_at"])
        batch.create_index(batch.f("ix_one_time_codes_created_at"), ["created_at"])
        batch.create_index(batch.f("ix_one_time_codes_customer_id"), ["customer_id"])

    op.create_table(
        "verification_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chat", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_failures")),
    )
    with op.batch_alter_table("verification_failures") as batch:
        batch.create_index(batch.f("ix_verification_failures_at"), ["at"])
        batch.create_index("ix_verification_failures_chat_at", ["chat", "at"])
        batch.create_index(batch.f("ix_verification_failures_customer_id"), ["customer_id"])
        batch.create_index("ix_verification_failures_order_id_at", ["order_id", "at"])


def downgrade() -> None:
    for table in ("verification_failures", "one_time_codes", "verified_chats"):
        op.drop_table(table)
