"""Gateway state shared by every gateway replica: delivery dedupe keys and durable timers.

Each call is one short transaction whose atomicity comes from the database (a primary key for
dedupe, ``UPDATE ... WHERE claimed_by IS NULL`` for claims), so two gateways never both
deliver an update or both fire a timer.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from cx_telemetry.db import dialect_insert
from cx_telemetry.models import DeliveryKey, TimerRow
from cx_telemetry.records import Timer

# A claimed timer whose gateway died without completing it is handed out again after this.
CLAIM_LEASE = timedelta(minutes=5)


def first_delivery(s: Session, key: str, at: datetime) -> bool:
    """True only for the first caller (any process) that presents ``key``."""
    ins = dialect_insert(DeliveryKey.__table__, s.get_bind().dialect.name)  # type: ignore[arg-type]
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT DO NOTHING
    stmt = ins.values(key=key, seen_at=at).on_conflict_do_nothing().returning(DeliveryKey.key)
    return s.execute(stmt).first() is not None


def schedule_timer(
    s: Session, kind: str, conversation_id: str, due_at: datetime, payload: dict[str, Any]
) -> str:
    """Create or move the one pending ``kind`` timer of the conversation; returns its new id.

    Moving gives the timer a new id, so a gateway completing the old firing cannot delete it."""
    new_id = uuid.uuid4().hex
    ins = dialect_insert(TimerRow.__table__, s.get_bind().dialect.name)  # type: ignore[arg-type]
    values = {
        "id": new_id,
        "due_at": due_at,
        "payload": payload,
        "claimed_by": None,
        "claimed_at": None,
    }
    s.execute(
        ins.values(kind=kind, conversation_id=conversation_id, **values).on_conflict_do_update(
            index_elements=["kind", "conversation_id"], set_=values
        )
    )
    return new_id


def cancel_timer(s: Session, kind: str, conversation_id: str) -> bool:
    """Delete the pending timer; True if there was one."""
    result: Any = s.execute(
        delete(TimerRow).where(TimerRow.kind == kind, TimerRow.conversation_id == conversation_id)
    )
    return bool(result.rowcount)


def claim_due_timers(s: Session, now: datetime, owner: str, limit: int) -> list[Timer]:
    """Claim up to ``limit`` timers due at ``now``: unclaimed, or claimed longer than the lease
    ago by a gateway that never completed them. Each claim is a conditional UPDATE, so a timer
    is handed to exactly one caller even when several gateways poll at once."""
    stale = now - CLAIM_LEASE
    claimable = or_(TimerRow.claimed_by.is_(None), TimerRow.claimed_at < stale)
    rows = s.execute(
        select(
            TimerRow.id, TimerRow.kind, TimerRow.conversation_id, TimerRow.due_at, TimerRow.payload
        )
        .where(TimerRow.due_at <= now, claimable)
        .order_by(TimerRow.due_at)
        .limit(limit)
    ).all()
    claimed: list[Timer] = []
    for row in rows:
        result: Any = s.execute(
            update(TimerRow)
            .where(TimerRow.id == row.id, TimerRow.due_at <= now, claimable)
            .values(claimed_by=owner, claimed_at=now)
        )
        if result.rowcount == 1:
            claimed.append(
                Timer(row.id, row.kind, row.conversation_id, row.due_at, dict(row.payload or {}))
            )
    return claimed


def complete_timer(s: Session, timer_id: str) -> bool:
    """Delete a fired timer; True if it still existed (it was not moved meanwhile)."""
    result: Any = s.execute(delete(TimerRow).where(TimerRow.id == timer_id))
    return bool(result.rowcount)
