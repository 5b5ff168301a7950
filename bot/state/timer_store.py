"""Durable timers in the gateway's database: they survive a restart, and each due timer is
handed to exactly one gateway (a conditional ``UPDATE`` per claim) even with several polling."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.state.database import GatewayDatabase
from bot.state.schema import TimerRow
from contract import utcnow
from cx_telemetry.db import dialect_insert

# A claimed timer whose gateway died without completing it is handed out again after this.
CLAIM_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Timer:
    """A due timer handed to exactly one gateway by :meth:`TimerStore.claim_due`."""

    id: str
    kind: str
    conversation_id: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


class TimerStore:
    """Every call raises ``StateUnavailable`` when the database is down."""

    def __init__(self, db: GatewayDatabase) -> None:
        self.db = db

    def schedule(
        self,
        kind: str,
        conversation_id: str,
        due_at: datetime,
        payload: dict[str, Any],
        keep_later: bool = False,
    ) -> str:
        """Create or move the one pending ``kind`` timer of the conversation; returns its new
        id. Moving gives it a new id, so a gateway completing the old firing cannot delete it.
        ``keep_later``: a pending timer due later than ``due_at`` stays as it is (a schedule
        from the outbox is older than one a newer message made)."""
        return self.db.run(
            lambda s: _schedule(s, kind, conversation_id, due_at, dict(payload), keep_later)
        )

    def cancel(self, kind: str, conversation_id: str) -> bool:
        """Delete the pending timer; True if there was one."""

        def write(s: Session) -> bool:
            result = s.execute(
                delete(TimerRow).where(
                    TimerRow.kind == kind, TimerRow.conversation_id == conversation_id
                )
            )
            return bool(getattr(result, "rowcount", 0))

        return self.db.run(write)

    def pending(self, kind_prefix: str) -> int:
        """How many timers whose kind starts with ``kind_prefix`` wait (fired or not)."""
        return int(
            self.db.read(
                lambda s: (
                    s.scalar(
                        select(func.count(TimerRow.id)).where(TimerRow.kind.startswith(kind_prefix))
                    )
                    or 0
                )
            )
        )

    def waiting_for(self, kind_prefix: str, conversation_id: str) -> bool:
        """True when the conversation has a timer whose kind starts with ``kind_prefix``
        (fired or not)."""
        found = self.db.read(
            lambda s: s.scalar(
                select(TimerRow.id)
                .where(
                    TimerRow.kind.startswith(kind_prefix),
                    TimerRow.conversation_id == conversation_id,
                )
                .limit(1)
            )
        )
        return found is not None

    def due(self, now: datetime) -> int:
        """How many timers were due by ``now`` and are not done yet (being fired or waiting)."""
        return int(
            self.db.read(
                lambda s: (
                    s.scalar(select(func.count(TimerRow.id)).where(TimerRow.due_at <= now)) or 0
                )
            )
        )

    def hurry(self, kind_prefix: str, now: datetime) -> int:
        """Make every unclaimed timer whose kind starts with ``kind_prefix`` due at ``now``;
        returns how many moved."""

        def write(s: Session) -> int:
            result = s.execute(
                update(TimerRow)
                .where(
                    TimerRow.kind.startswith(kind_prefix),
                    TimerRow.due_at > now,
                    TimerRow.claimed_by.is_(None),
                )
                .values(due_at=now)
            )
            return int(getattr(result, "rowcount", 0) or 0)

        return self.db.run(write)

    def claim_due(
        self,
        now: datetime | None = None,
        owner: str = "gateway",
        limit: int = 50,
        one_conversation: bool = False,
        skip: Collection[str] = (),
    ) -> list[Timer]:
        """Claim up to ``limit`` timers due at ``now``: unclaimed, or claimed longer than the
        lease ago by a gateway that never completed them. ``one_conversation``: only the due
        timers of one conversation (the one whose timer is due first, not in ``skip``), so a
        gateway holds no more than it fires now and, if it dies, only those wait out the
        lease (:class:`bot.timers.TimerWorker`)."""
        return self.db.run(
            lambda s: _claim_due(s, now or utcnow(), owner, limit, one_conversation, skip)
        )

    def complete(self, timer_id: str) -> bool:
        """Delete a fired timer; True if it still existed (it was not moved meanwhile)."""

        def write(s: Session) -> bool:
            result = s.execute(delete(TimerRow).where(TimerRow.id == timer_id))
            return bool(getattr(result, "rowcount", 0))

        return self.db.run(write)


def _schedule(
    s: Session,
    kind: str,
    conversation_id: str,
    due_at: datetime,
    payload: dict[str, Any],
    keep_later: bool = False,
) -> str:
    new_id = uuid.uuid4().hex
    table: Table = TimerRow.__table__  # type: ignore[assignment]
    ins = dialect_insert(table, s.get_bind().dialect.name)
    values = {
        "id": new_id,
        "due_at": due_at,
        "payload": payload,
        "claimed_by": None,
        "claimed_at": None,
    }
    s.execute(
        ins.values(kind=kind, conversation_id=conversation_id, **values).on_conflict_do_update(
            index_elements=["kind", "conversation_id"],
            set_=values,
            where=(TimerRow.due_at < ins.excluded.due_at) if keep_later else None,
        )
    )
    return new_id


def _claim_due(
    s: Session, now: datetime, owner: str, limit: int, one_conversation: bool, skip: Collection[str]
) -> list[Timer]:
    stale = now - CLAIM_LEASE
    claimable = or_(TimerRow.claimed_by.is_(None), TimerRow.claimed_at < stale)
    due = [TimerRow.due_at <= now, claimable]
    if skip:
        due.append(TimerRow.conversation_id.not_in(list(skip)))
    if one_conversation:
        first = s.scalar(
            select(TimerRow.conversation_id).where(*due).order_by(TimerRow.due_at).limit(1)
        )
        if first is None:
            return []
        due.append(TimerRow.conversation_id == first)
    rows = s.execute(
        select(
            TimerRow.id, TimerRow.kind, TimerRow.conversation_id, TimerRow.due_at, TimerRow.payload
        )
        .where(*due)
        .order_by(TimerRow.due_at)
        .limit(limit)
    ).all()
    claimed: list[Timer] = []
    for row in rows:
        result = s.execute(
            update(TimerRow)
            .where(TimerRow.id == row.id, TimerRow.due_at <= now, claimable)
            .values(claimed_by=owner, claimed_at=now)
        )
        if getattr(result, "rowcount", 0) == 1:
            claimed.append(
                Timer(row.id, row.kind, row.conversation_id, row.due_at, dict(row.payload or {}))
            )
    return claimed
