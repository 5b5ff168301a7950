"""the report's "surveys not asked, and why": a partial index of those few conversations

Revision ID: 0010_not_surveyed_index
Revises: 0007_conversation_aliases
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_not_surveyed_index"
down_revision: str | None = "0007_conversation_aliases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_conversations_not_surveyed",
        "conversations",
        ["opened_at", "not_surveyed", "synthetic"],
        unique=False,
        sqlite_where=sa.text("not_surveyed IS NOT NULL"),
        postgresql_where=sa.text("not_surveyed IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_not_surveyed", table_name="conversations")
