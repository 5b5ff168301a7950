"""Tables of the gateway (SQLAlchemy 2 typed ORM); ``bot/state/migrations`` must produce
exactly this schema (tests/bot/state/test_migrations.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, MetaData, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cx_telemetry.db import NAMING_CONVENTION, UTCDateTime

ID = String(32)  # uuid4 hex


class GatewayBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class DeliveryKey(GatewayBase):
    """Platform deliveries already accepted (Telegram update ids, Slack event ids): dedupe
    across gateways."""

    __tablename__ = "delivery_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class InboxRow(GatewayBase):
    """An accepted platform delivery not yet fully processed: committed with its dedupe key
    before the platform gets its 200, deleted once handled. A gateway works on a row while it
    holds the lease (``claimed_until``); a crashed gateway's rows are resumed by any other after
    it. Rows of one conversation (``conversation_key``) are handled one at a time, oldest
    (lowest ``id``) first."""

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    delivery_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    conversation_key: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the platform's JSON
    received_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(index=True)


class TimerRow(GatewayBase):
    """Durable timers: one pending timer per (kind, conversation)."""

    __tablename__ = "timers"
    __table_args__ = (UniqueConstraint("kind", "conversation_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[str] = mapped_column(ID, index=True)
    due_at: Mapped[datetime] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]


class HandoffCase(GatewayBase):
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
    # staff marked the case "No survey": the customer gets no survey after it
    no_survey: Mapped[bool] = mapped_column(default=False)
    # who is asking, for the card (``bot.handoff.customer``): the verified shop customer,
    # {"verified": false}, or NULL when not known
    verified_customer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    staff_channel: Mapped[str | None] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))


class HandoffAction(GatewayBase):
    """Every staff action on a case, with the Slack user who took it (audit trail)."""

    __tablename__ = "handoff_actions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    handoff_id: Mapped[str] = mapped_column(ID, index=True)
    action: Mapped[str] = mapped_column(String(32))
    slack_user: Mapped[str | None] = mapped_column(String(32))
    agent: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(index=True)


class DetractorAlert(GatewayBase):
    """One detractor alert per survey response (``key`` = conversation id and metric), so a
    replayed answer or a second gateway never posts a second card (``bot/alerts``).

    ``status``: ``claimed`` (a gateway is posting it) -> ``posted``, or ``suppressed`` (the
    customer had an alert within the rate-limit window). ``address`` and ``sender_id`` are the
    customer's chat (raw platform ids, like timer payloads) for the Follow up button."""

    __tablename__ = "detractor_alerts"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ID, index=True)
    customer: Mapped[str] = mapped_column(String(64), index=True)  # customer key (pseudonym)
    status: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime] = mapped_column(index=True)
    posted_at: Mapped[datetime | None]
    alert_channel: Mapped[str | None] = mapped_column(String(32))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    sender_id: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what the card showed
    handoff_id: Mapped[str | None] = mapped_column(ID)  # the follow-up case, once opened
    followed_up_by: Mapped[str | None] = mapped_column(String(32))  # Slack user id
