"""handoff desk: staff-desk cases and the audit log of staff actions

A no-op since the gateway owns the staff desk's tables: ``bot/state/migrations`` creates
or adopts them. Kept so that databases recorded at this revision still upgrade.

Revision ID: 0002_handoff_desk
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0002_handoff_desk"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
