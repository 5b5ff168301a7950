"""Durable timers: idle conversations and messages kept while the engine was down.

Timers live in the telemetry database (``schedule_timer / claim_due_timers / complete_timer``),
so they survive a restart and each fires on exactly one gateway even with several running.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.errors import EngineUnavailable
from bot.gateway import IDLE_KIND, REPLAY_PREFIX, Gateway
from bot.handoff import TIMEOUT_KIND as HANDOFF_TIMEOUT_KIND
from bot.store import TimerLike

log = logging.getLogger(__name__)


class TimerWorker:
    """Claims due timers and runs them. ``run_once`` is what tests call; ``run`` loops."""

    def __init__(self, gateway: Gateway, owner: str, batch: int = 50) -> None:
        self.gateway = gateway
        self.owner = owner
        self.batch = batch

    async def run_once(self, now: datetime | None = None) -> int:
        """Fire every timer due at ``now``; returns how many this gateway claimed."""
        gw = self.gateway
        now = now or gw.clock()
        timers = await gw.db(gw.store.claim_due_timers, now=now, owner=self.owner, limit=self.batch)
        # Kept messages replay in the order customers wrote them.
        ordered = sorted(timers, key=lambda t: str(t.payload.get("received_at", "")))
        for timer in ordered:
            await self._fire(timer)
        return len(timers)

    async def _fire(self, timer: TimerLike) -> None:
        gw = self.gateway
        try:
            if timer.kind == IDLE_KIND:
                await gw.idle(timer.conversation_id, dict(timer.payload))
            elif timer.kind.startswith(REPLAY_PREFIX):
                await gw.replay(timer.conversation_id, dict(timer.payload))
            elif timer.kind == HANDOFF_TIMEOUT_KIND and gw.handoff is not None:
                await gw.handoff.on_timeout(dict(timer.payload))
            else:
                log.info("ignoring timer of unknown kind %r", timer.kind)
        except EngineUnavailable as exc:
            # Idle timers: try again a little later rather than lose the survey.
            log.warning("engine unavailable for timer %s; rescheduling: %s", timer.kind, exc)
            await gw.reschedule_idle(timer.conversation_id, dict(timer.payload))
            return
        except Exception:
            log.exception("timer %s failed; dropping it", timer.kind)
            gw.stats["timer_failed"] += 1
        await gw.db(gw.store.complete_timer, timer.id)

    async def run(self, interval: float) -> None:
        """Poll forever (cancelled on shutdown). Database hiccups are logged, not fatal."""
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("timer poll failed")
            await asyncio.sleep(interval)
