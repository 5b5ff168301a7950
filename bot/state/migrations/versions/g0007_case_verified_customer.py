"""staff-desk cases: the shop customer of a verified chat, for the card

Revision ID: g0007_case_verified_customer
Revises: g0006_case_no_survey
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0007_case_verified_customer"
down_revision: str | None = "g0006_case_no_survey"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("handoff_cases")}
    if "verified_customer" in columns:
        return  # made by ``create_all`` from the models (a database set up before this history)
    with op.batch_alter_table("handoff_cases") as batch:
        batch.add_column(sa.Column("verified_customer", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoff_cases") as batch:
        batch.drop_column("verified_customer")
