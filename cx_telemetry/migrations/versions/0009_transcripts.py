"""transcripts: each conversation's turns, redacted, with their own retention

Revision ID: 0009_transcripts
Revises: 0008_survey_hygiene
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_transcripts"
down_revision: str | None = "0008_survey_hygiene"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transcripts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcripts")),
    )
    with op.batch_alter_table("transcripts") as batch:
        batch.create_index(batch.f("ix_transcripts_at"), ["at"], unique=False)
        batch.create_index("ix_transcripts_conversation", ["conversation_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("transcripts")
