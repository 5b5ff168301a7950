"""one customer across channels: customer key, verification, orders, re-contact

``conversations`` gain ``customer_key`` (the shop customer's HMAC once the chat is verified,
else the chat's pseudonym, which existing rows get), ``verified_at``, ``order_keys``,
``recontacted`` and ``recontacted_at``; new tables ``customer_links`` (verified chats, as
pseudonyms) and ``verification_attempts``.

Revision ID: 0005_customer_key
Revises: 0004_report_indexes
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_customer_key"
down_revision: str | None = "0004_report_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("customer_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("verified_at", TS, nullable=True))
        batch.add_column(sa.Column("order_keys", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("recontacted", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("recontacted_at", TS, nullable=True))
    op.execute(
        "UPDATE conversations SET customer_key = customer, order_keys = '[]', recontacted = false"
    )
    with op.batch_alter_table("conversations") as batch:
        batch.alter_column("customer_key", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("order_keys", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("recontacted", existing_type=sa.Boolean(), nullable=False)
        batch.create_index(batch.f("ix_conversations_customer_key"), ["customer_key"])

    op.create_table(
        "customer_links",
        sa.Column("chat", sa.String(length=64), nullable=False),
        sa.Column("customer_key", sa.String(length=64), nullable=False),
        sa.Column("linked_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("chat", name=op.f("pk_customer_links")),
    )
    with op.batch_alter_table("customer_links") as batch:
        batch.create_index(batch.f("ix_customer_links_customer_key"), ["customer_key"])
        batch.create_index(batch.f("ix_customer_links_expires_at"), ["expires_at"])

    op.create_table(
        "verification_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_attempts")),
    )
    with op.batch_alter_table("verification_attempts") as batch:
        batch.create_index(batch.f("ix_verification_attempts_at"), ["at"])
        batch.create_index(batch.f("ix_verification_attempts_conversation_id"), ["conversation_id"])


def downgrade() -> None:
    op.drop_table("verification_attempts")
    op.drop_table("customer_links")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index(batch.f("ix_conversations_customer_key"))
        for column in ("recontacted_at", "recontacted", "order_keys", "verified_at"):
            batch.drop_column(column)
        batch.drop_column("customer_key")
