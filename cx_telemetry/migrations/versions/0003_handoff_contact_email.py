"""handoff desk: the e-mail address a customer left on a case

Revision ID: 0003_handoff_contact_email
Revises: 0002_handoff_desk
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_handoff_contact_email"
down_revision: str | None = "0002_handoff_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_cases") as batch:
        batch.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoff_cases") as batch:
        batch.drop_column("contact_email")
