"""survey hygiene: why a conversation got no survey (cooldown, sampling, staff)

Revision ID: 0008_survey_hygiene
Revises: 0006_clarifications
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_survey_hygiene"
down_revision: str | None = "0006_clarifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("not_surveyed", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("not_surveyed")
