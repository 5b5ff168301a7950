"""durable containment in the report: a partial index of the re-contacted contained conversations

Revision ID: 0011_recontacted_index
Revises: 0010_not_surveyed_index
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_recontacted_index"
down_revision: str | None = "0010_not_surveyed_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_conversations_recontacted",
        "conversations",
        ["opened_at", "channel", "last_support_intent", "agent", "closed_at", "synthetic"],
        unique=False,
        sqlite_where=sa.text("recontacted = 1 AND has_handoff = 0"),
        postgresql_where=sa.text("recontacted AND NOT has_handoff"),
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_recontacted", table_name="conversations")
