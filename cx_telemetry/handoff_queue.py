"""The queue figures a customer is told when they ask for a person: their place in line and
the usual wait, from the ``handoffs`` telemetry rows (real handoffs only, not seeded ones)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contract import utcnow
from cx_telemetry.models import Handoff
from cx_telemetry.store_core import StoreCore

__all__ = ["DEFAULT_WAIT", "QueueSnapshot", "queue_snapshot"]

DEFAULT_WAIT = timedelta(minutes=5)  # told to customers before there is any history
WAIT_WINDOW = timedelta(days=7)
QUEUE_WINDOW = timedelta(days=1)  # older unclaimed requests are stale, not people in line


@dataclass(frozen=True)
class QueueSnapshot:
    """What the customer is told: their place in line (1 = next) and the usual wait, which is
    the median of (claimed - requested) over handoffs claimed in the last 7 days."""

    position: int
    usual_wait: timedelta
    samples: int


def queue_snapshot(store: StoreCore, handoff_id: str, now: datetime | None = None) -> QueueSnapshot:
    """Position of ``handoff_id`` among unclaimed, unresolved requests of the last day (1 =
    next) and the usual wait: the median of (claimed - requested) over real (not synthetic)
    handoffs claimed in the last 7 days, or 5 minutes when there are none."""
    now = now or utcnow()

    def read(s: Session) -> QueueSnapshot:
        mine = s.get(Handoff, handoff_id)
        requested = mine.requested_at if mine is not None else now
        ahead = s.scalar(
            select(func.count())
            .select_from(Handoff)
            .where(
                Handoff.resolved_at.is_(None),
                Handoff.claimed_at.is_(None),
                Handoff.synthetic.is_(False),
                Handoff.requested_at < requested,
                Handoff.requested_at >= now - QUEUE_WINDOW,
                Handoff.id != handoff_id,
            )
        )
        waits = [
            w
            for w in s.scalars(
                select(Handoff.wait_s).where(
                    Handoff.claimed_at >= now - WAIT_WINDOW,
                    Handoff.wait_s.is_not(None),
                    Handoff.synthetic.is_(False),
                )
            )
            if w is not None
        ]
        usual = timedelta(seconds=statistics.median(waits)) if waits else DEFAULT_WAIT
        return QueueSnapshot(position=int(ahead or 0) + 1, usual_wait=usual, samples=len(waits))

    return store.read(read)
