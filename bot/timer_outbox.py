"""Timers that cannot reach the database are not lost: the schedule waits in a local outbox (the
telemetry's file format: one fsync'ed JSON file each, oldest first) and the timer loop applies
it once the database answers again, so an idle survey or a kept message fires later."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.counters import GatewayCounters
from bot.state.timer_store import TimerStore
from bot.threads import DbThreads
from cx_telemetry.outbox import Outbox

log = logging.getLogger(__name__)
OP = "schedule_timer"


class DurableTimers:
    """``schedule`` never loses a timer; ``replay`` (the timer loop) applies deferred ones."""

    def __init__(
        self, timers: TimerStore, threads: DbThreads, outbox: Outbox, stats: GatewayCounters
    ) -> None:
        self.timers = timers
        self.threads = threads
        self.outbox = outbox
        self.stats = stats

    async def schedule(
        self, kind: str, conversation_id: str, due_at: datetime, payload: dict[str, Any]
    ) -> None:
        """Create or move the conversation's ``kind`` timer now, or, with the database down,
        keep the schedule on disk until :meth:`replay` can apply it."""
        try:
            await self.threads.write(self.timers.schedule, kind, conversation_id, due_at, payload)
            return
        except Exception as exc:
            log.warning("timer %s deferred to the outbox: %s", kind, exc)
        args = {
            "kind": kind,
            "conversation_id": conversation_id,
            "due_at": due_at.isoformat(),
            "payload": payload,
        }
        self.outbox.add(OP, args)  # a full disk raises: the caller counts the timer as lost
        self.stats.timers_deferred.inc()

    async def replay(self) -> int:
        """Apply deferred schedules, oldest first; stop at the first outage. A deferred one
        never moves a timer that a later message already pushed further out."""
        applied = 0
        if not self.outbox.has_pending():
            return applied
        with self.outbox.replay_lock() as mine:
            if not mine:
                return applied
            for entry in self.outbox.entries():
                if entry.op != OP:
                    self.outbox.bury(entry.path)
                    continue
                a = entry.args
                await self.threads.write(
                    self.timers.schedule,
                    str(a["kind"]),
                    str(a["conversation_id"]),
                    datetime.fromisoformat(str(a["due_at"])),
                    dict(a["payload"]),
                    keep_later=True,
                )
                self.outbox.done(entry)
                applied += 1
        self.stats.timers_replayed.inc(applied)
        return applied

    def pending(self) -> int:
        return self.outbox.pending_count()
