"""handoff desk: the e-mail address a customer left on a case

A no-op since the gateway owns the staff desk's tables: ``bot/state/migrations`` creates
or adopts them. Kept so that databases recorded at this revision still upgrade.

Revision ID: 0003_handoff_contact_email
Revises: 0002_handoff_desk
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0003_handoff_contact_email"
down_revision: str | None = "0002_handoff_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
