"""The gateway's part of ``cx-telemetry forget`` and ``purge`` (registered as the entry point
``cx_telemetry.erasure: gateway``): timers, staff-desk cases with their names, addresses and
transcripts, their audit log, inbox rows (the platform's raw update), old delivery keys, and
the engine's conversation trackers (``bot.state.tracker_erasure``, counted as
``tracker_events``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot.state.database import GatewayDatabase
from bot.state.schema import (
    DeliveryKey,
    DetractorAlert,
    HandoffAction,
    HandoffCase,
    InboxRow,
    TimerRow,
)
from bot.state.tracker_erasure import KEY as TRACKERS
from bot.state.tracker_erasure import TrackerErasure, tracker_erasure
from cx_telemetry.erasure import ErasureSubject, ErasureTarget, chunks


def erasure_target(env: Mapping[str, str]) -> ErasureTarget:
    """The entry point: the gateway database and the engine's tracker store
    (``TRACKER_STORE_URL``) named by the environment."""
    from bot.settings import gateway_db_url

    return GatewayErasure(GatewayDatabase(gateway_db_url(env)), tracker_erasure(env))


class GatewayErasure:
    def __init__(self, db: GatewayDatabase, trackers: TrackerErasure | None = None) -> None:
        self.db = db
        self.trackers = trackers

    def forget(self, subject: ErasureSubject) -> dict[str, int]:
        counts = self.db.run(lambda s: _forget(s, subject))
        return counts | (self.trackers.forget(subject) if self.trackers else {TRACKERS: 0})

    def purge(self, cutoff: datetime) -> dict[str, int]:
        counts = self.db.run(lambda s: _purge(s, cutoff))
        return counts | (self.trackers.purge(cutoff) if self.trackers else {TRACKERS: 0})


def _forget(s: Session, subject: ErasureSubject) -> dict[str, int]:
    counts = {"timers": 0, "handoff_cases": 0, "handoff_actions": 0, "detractor_alerts": 0}
    # an update not yet handled: its chat (``telegram:42``) is the customer's raw id
    result = s.execute(delete(InboxRow).where(InboxRow.conversation_key.in_(subject.customer_ids)))
    counts["inbox"] = int(getattr(result, "rowcount", 0) or 0)
    cids = subject.conversation_ids
    for chunk in chunks(cids):
        result = s.execute(delete(TimerRow).where(TimerRow.conversation_id.in_(chunk)))
        counts["timers"] += int(getattr(result, "rowcount", 0) or 0)
        result = s.execute(delete(DetractorAlert).where(DetractorAlert.conversation_id.in_(chunk)))
        counts["detractor_alerts"] += int(getattr(result, "rowcount", 0) or 0)
    mine = or_(HandoffCase.customer.in_(subject.pseudonyms), HandoffCase.conversation_id.in_(cids))
    ids = list(s.scalars(select(HandoffCase.handoff_id).where(mine)))
    for chunk in chunks(ids):
        result = s.execute(delete(HandoffAction).where(HandoffAction.handoff_id.in_(chunk)))
        counts["handoff_actions"] += int(getattr(result, "rowcount", 0) or 0)
        result = s.execute(delete(HandoffCase).where(HandoffCase.handoff_id.in_(chunk)))
        counts["handoff_cases"] += int(getattr(result, "rowcount", 0) or 0)
    return counts


def _purge(s: Session, cutoff: datetime) -> dict[str, int]:
    steps = {
        "timers": delete(TimerRow).where(TimerRow.due_at < cutoff),
        "delivery_keys": delete(DeliveryKey).where(DeliveryKey.seen_at < cutoff),
        "handoff_actions": delete(HandoffAction).where(HandoffAction.at < cutoff),
        "handoff_cases": delete(HandoffCase).where(HandoffCase.requested_at < cutoff),
        "detractor_alerts": delete(DetractorAlert).where(DetractorAlert.claimed_at < cutoff),
        "inbox": delete(InboxRow).where(InboxRow.received_at < cutoff),
    }
    return {name: int(getattr(s.execute(stmt), "rowcount", 0) or 0) for name, stmt in steps.items()}
