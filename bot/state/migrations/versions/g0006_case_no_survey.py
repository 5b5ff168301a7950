"""staff-desk cases: "No survey" marked by staff

Revision ID: g0006_case_no_survey
Revises: g0005_inbox
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0006_case_no_survey"
down_revision: str | None = "g0005_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("handoff_cases")}
    if "no_survey" in columns:
        return  # made by ``create_all`` from the models (a database set up before this history)
    with op.batch_alter_table("handoff_cases") as batch:
        batch.add_column(
            sa.Column("no_survey", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("handoff_cases") as batch:
        batch.alter_column("no_survey", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("handoff_cases") as batch:
        batch.drop_column("no_survey")
