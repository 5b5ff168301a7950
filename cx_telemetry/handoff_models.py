"""Tables of the staff desk: one row per handoff case and an audit log of staff actions.

Gateway state, like timers: every gateway reads and moves a case through these rows (never
process memory), so a restarted or second gateway serves the same Slack thread. Registered
on ``models.Base`` (``models`` imports this module), so alembic and the schema test see them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from cx_telemetry.models import ID, Base


class HandoffCase(Base):
    """A handoff as the staff desk sees it: who the customer is, where the card lives, status.

    ``status``: ``waiting`` -> ``claimed`` -> ``resolved`` | ``returned`` | ``cancelled``.
    ``address`` is the gateway's delivery address (raw platform ids, like timer payloads).
    """

    __tablename__ = "handoff_cases"
    __table_args__ = (
        # one open case per customer conversation with the engine, across gateways
        Index(
            "uq_handoff_cases_open_sender",
            "sender_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        Index("ix_handoff_cases_card", "staff_channel", "card_ts"),
    )

    handoff_id: Mapped[str] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(ID)
    sender_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    customer: Mapped[str | None] = mapped_column(String(64))  # HMAC pseudonym
    customer_name: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(String(64))
    intents: Mapped[list[str]] = mapped_column(default=list)
    transcript: Mapped[list[str]] = mapped_column(default=list)  # "Customer: ..." lines
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(32))  # Slack user id
    agent: Mapped[str | None] = mapped_column(String(128))  # "Ana (U123)"
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(32))
    follow_up_offered: Mapped[bool] = mapped_column(default=False)
    # the address the customer left for a reply by e-mail (after the follow-up offer)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    staff_channel: Mapped[str | None] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))


class HandoffAction(Base):
    """Every staff action on a case, with the Slack user who took it (audit trail)."""

    __tablename__ = "handoff_actions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    handoff_id: Mapped[str] = mapped_column(ID, index=True)
    action: Mapped[str] = mapped_column(String(32))
    slack_user: Mapped[str | None] = mapped_column(String(32))
    agent: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(index=True)
