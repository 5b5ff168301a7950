"""Tables of verification (SQLAlchemy 2 typed ORM); ``actions/verification/migrations`` must
produce exactly this schema (tests/actions/verification/test_migrations.py).

Chats appear as the telemetry pseudonym of the engine's sender id (the same HMAC as
``conversations.customer`` and ``handoff_cases.customer``), never raw; shop customers by their
shop id, which the permission checks need. No e-mail address and no code is stored: codes
only as a salted scrypt hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cx_telemetry.db import NAMING_CONVENTION, UTCDateTime

CHAT = String(64)  # HMAC-SHA256 pseudonym, hex
SHOP_ID = String(64)


class VerificationBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class VerifiedChat(VerificationBase):
    """A chat proven (by a mailed code) to belong to a shop customer, until ``expires_at``.
    One row per chat; verifying again replaces it, unlinking deletes it."""

    __tablename__ = "verified_chats"

    chat: Mapped[str] = mapped_column(CHAT, primary_key=True)
    customer_id: Mapped[str] = mapped_column(SHOP_ID, index=True)
    linked_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class OneTimeCode(VerificationBase):
    """A 6-digit code mailed to a customer for one chat. Only the newest unspent one of a chat
    counts; ``spent_at`` is set when it is used or replaced."""

    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_chat_created_at", "chat", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat: Mapped[str] = mapped_column(CHAT)
    customer_id: Mapped[str] = mapped_column(SHOP_ID, index=True)
    order_id: Mapped[str | None] = mapped_column(String(32))  # the order the code unlocks
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    spent_at: Mapped[datetime | None]


class Failure(VerificationBase):
    """A wrong e-mail or code (``wrong``), or one being checked right now (``pending``): each
    counts against its chat and its order for an hour. ``customer_id`` is the owner of the
    order or code, when there is one, so erasure finds attempts on their orders too."""

    __tablename__ = "verification_failures"
    __table_args__ = (
        Index("ix_verification_failures_chat_at", "chat", "at"),
        Index("ix_verification_failures_order_id_at", "order_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    chat: Mapped[str] = mapped_column(CHAT)
    order_id: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(SHOP_ID, index=True)
    kind: Mapped[str] = mapped_column(String(8))  # email | code
    status: Mapped[str] = mapped_column(String(8))  # pending | wrong
    at: Mapped[datetime] = mapped_column(index=True)
