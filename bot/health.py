"""``GET /health``: what an operator needs to see that nothing is being lost: the engine, the
database, accepted updates not yet answered (inbox), messages kept for a down engine, timers
overdue, and the local outboxes of telemetry writes and timers waiting for the database.
``/metrics`` exports the same figures as gauges (:mod:`bot.metrics`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.engine_client import EngineClient
from bot.inbox import Inbox
from bot.state.timer_store import TimerStore
from bot.threads import DbThreads
from bot.timer_outbox import DurableTimers
from contract import REPLAY_TIMER_PREFIX
from cx_telemetry.outbox import Outbox


@dataclass(frozen=True)
class Snapshot:
    """One reading. The database's figures are None when the database does not answer."""

    engines: dict[str, bool]
    inbox_depth: int | None
    kept_messages: int | None
    timers_due: int | None
    telemetry_outbox_pending: int
    telemetry_outbox_dead: int
    timer_outbox_pending: int

    @property
    def engine_ready(self) -> bool:
        return any(self.engines.values())

    @property
    def database(self) -> bool:
        return self.inbox_depth is not None

    @property
    def healthy(self) -> bool:
        """An engine is ready and the database answers."""
        return self.engine_ready and self.database


@dataclass(frozen=True)
class Health:
    """The collaborators the report reads."""

    engine: EngineClient
    inbox: Inbox
    timers: TimerStore
    threads: DbThreads
    telemetry_outbox: Outbox
    timer_outbox: DurableTimers
    clock: Callable[[], datetime]

    async def snapshot(self) -> Snapshot:
        engines = await self.engine.readiness()
        try:
            depth: int | None = await self.inbox.depth()
            kept: int | None = await self.threads.read(self.timers.pending, REPLAY_TIMER_PREFIX)
            due: int | None = await self.threads.read(self.timers.due, self.clock())
        except Exception:
            depth = kept = due = None
        return Snapshot(
            engines=engines,
            inbox_depth=depth,
            kept_messages=kept,
            timers_due=due,
            telemetry_outbox_pending=self.telemetry_outbox.pending_count(),
            telemetry_outbox_dead=self.telemetry_outbox.dead_count(),
            timer_outbox_pending=self.timer_outbox.pending(),
        )

    async def report(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, report): healthy when an engine is ready and the database answers."""
        s = await self.snapshot()
        report = {
            "engine": {"ready": s.engine_ready},
            "engines": s.engines,
            "database": s.database,
            "inbox": {"waiting": s.inbox_depth},
            "kept_messages": s.kept_messages,
            "timers": {"due": s.timers_due},
            "telemetry_outbox": {
                "pending": s.telemetry_outbox_pending,
                "dead": s.telemetry_outbox_dead,
            },
            "timer_outbox": {"pending": s.timer_outbox_pending},
        }
        return s.healthy, report
