"""report: the synthetic flag in the report's covering indexes; breakdown, weekly and comment
indexes

``synthetic`` itself exists since 0001 on conversations, survey responses and handoffs; the
report filters on it (``--exclude-synthetic``) and counts it (the synthetic-data banner), so it
joins the covering indexes, and the report's GROUP BY keys get indexes of their own.

Revision ID: 0004_report_indexes
Revises: 0003_handoff_contact_email
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_report_indexes"
down_revision: str | None = "0003_handoff_contact_email"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = {
    "ix_conversations_report": (
        "conversations",
        ["opened_at", "channel", "last_support_intent", "agent", "closed_at", "has_handoff"],
    ),
    "ix_handoffs_report": (
        "handoffs",
        ["requested_at", "channel", "intent", "agent", "wait_s", "first_response_s", "handle_s"],
    ),
}
_NEW = {
    "ix_conversations_report": ("conversations", [*_OLD["ix_conversations_report"][1], "synthetic"]),
    "ix_handoffs_report": ("handoffs", [*_OLD["ix_handoffs_report"][1], "synthetic"]),
    "ix_conversations_report_groups": (
        "conversations",
        ["channel", "last_support_intent", "agent", "has_handoff", "synthetic", "opened_at",
         "closed_at"],
    ),
    "ix_survey_responses_report_groups": (
        "survey_responses",
        ["channel", "intent", "agent", "segment", "metric", "status", "scale_max", "score",
         "asked_at", "synthetic"],
    ),
    "ix_survey_responses_report_days": (
        "survey_responses",
        ["metric", "status", "scale_max", "score", "asked_at", "synthetic"],
    ),
    "ix_handoffs_report_groups": (
        "handoffs",
        ["channel", "intent", "agent", "outcome", "requested_at", "wait_s", "first_response_s",
         "handle_s", "synthetic"],
    ),
}  # fmt: skip
_COMMENTS = ["asked_at", "intent", "metric", "status", "score", "answered_at", "synthetic"]
_HAS_COMMENT = sa.text("comment IS NOT NULL")


def upgrade() -> None:
    for name, (table, _) in _OLD.items():
        op.drop_index(name, table_name=table)
    for name, (table, columns) in _NEW.items():
        op.create_index(name, table, columns, unique=False)
    op.create_index(
        "ix_survey_responses_comments", "survey_responses", _COMMENTS, unique=False,
        sqlite_where=_HAS_COMMENT, postgresql_where=_HAS_COMMENT,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_survey_responses_comments", table_name="survey_responses")
    for name, (table, _) in _NEW.items():
        op.drop_index(name, table_name=table)
    for name, (table, columns) in _OLD.items():
        op.create_index(name, table, columns, unique=False)
