"""Delivery dedupe: a platform delivery (Telegram update, Slack event) is accepted once, by
whichever gateway sees it first; the primary key makes that atomic across processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table
from sqlalchemy.orm import Session

from bot.state.database import GatewayDatabase
from bot.state.schema import DeliveryKey
from contract import utcnow
from cx_telemetry.db import dialect_insert


class DeliveryKeys:
    """``first_delivery`` raises ``StateUnavailable`` when the database is down."""

    def __init__(self, db: GatewayDatabase) -> None:
        self.db = db

    def first_delivery(self, key: str, at: datetime | None = None) -> bool:
        """True only for the first caller (any process) that presents ``key``."""
        return self.db.run(lambda s: first_delivery(s, key, at or utcnow()))

    def first_claim(self, key: str, claimant: str, at: datetime | None = None) -> bool:
        """True for the first ``claimant`` that presents ``key``, and again whenever that same
        claimant presents it (a resumed delivery is not a second one); False for any other."""
        return self.db.run(lambda s: first_claim(s, key, claimant, at or utcnow()))


def first_delivery(s: Session, key: str, at: datetime) -> bool:
    table: Table = DeliveryKey.__table__  # type: ignore[assignment]
    ins = dialect_insert(table, s.get_bind().dialect.name)
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT DO NOTHING
    stmt = ins.values(key=key, seen_at=at).on_conflict_do_nothing().returning(DeliveryKey.key)
    return s.execute(stmt).first() is not None


def first_claim(s: Session, key: str, claimant: str, at: datetime) -> bool:
    """The claim and the claimant's mark are written in one transaction: a process killed
    between them leaves neither."""
    mark = f"{key}#claimed-by:{claimant}"
    if first_delivery(s, key, at):
        first_delivery(s, mark, at)
        return True
    return s.get(DeliveryKey, mark) is not None
