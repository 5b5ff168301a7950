"""conversation aliases: ids handed out during an outage that replay mapped to the customer's
open conversation

Revision ID: 0007_conversation_aliases
Revises: 0009_transcripts
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_conversation_aliases"
down_revision: str | None = "0009_transcripts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_aliases",
        sa.Column("alias_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alias_id", name=op.f("pk_conversation_aliases")),
    )
    with op.batch_alter_table("conversation_aliases") as batch:
        batch.create_index(
            batch.f("ix_conversation_aliases_conversation_id"), ["conversation_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("conversation_aliases")
