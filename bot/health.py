"""``GET /health``: what an operator needs to see that nothing is being lost: the engine, the
database, accepted updates not yet answered (inbox), messages kept for a down engine, and the
local outboxes of telemetry writes and timers waiting for the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.engine_client import EngineClient
from bot.inbox import Inbox
from bot.state.timer_store import TimerStore
from bot.threads import DbThreads
from bot.timer_outbox import DurableTimers
from contract import REPLAY_TIMER_PREFIX
from cx_telemetry.outbox import Outbox


@dataclass(frozen=True)
class Health:
    """The collaborators the report reads; each figure is None when it cannot be read."""

    engine: EngineClient
    inbox: Inbox
    timers: TimerStore
    threads: DbThreads
    telemetry_outbox: Outbox
    timer_outbox: DurableTimers

    async def report(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, report): healthy when an engine is ready and the database answers."""
        engines = await self.engine.readiness()
        engine_ready = any(engines.values())
        try:
            depth: int | None = await self.inbox.depth()
            kept: int | None = await self.threads.read(self.timers.pending, REPLAY_TIMER_PREFIX)
        except Exception:
            depth = kept = None
        report = {
            "engine": {"ready": engine_ready},
            "engines": engines,
            "database": depth is not None,
            "inbox": {"waiting": depth},
            "kept_messages": kept,
            "telemetry_outbox": {
                "pending": self.telemetry_outbox.pending_count(),
                "dead": self.telemetry_outbox.dead_count(),
            },
            "timer_outbox": {"pending": self.timer_outbox.pending()},
        }
        return engine_ready and depth is not None, report
