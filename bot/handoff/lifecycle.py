"""Steps every way of ending or holding a case shares (customer cancel, staff resolve or
return): un-pausing the engine, the telemetry of the close, and tidying the staff card."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.engine_client import EngineClient
from bot.errors import EngineError
from bot.handoff.staff_desk import StaffNotices
from bot.handoff.values import Case
from bot.state.timer_store import TimerStore
from bot.telemetry import Telemetry
from bot.threads import DbThreads
from contract import HANDOFF_TIMEOUT_TIMER

log = logging.getLogger(__name__)


@dataclass(eq=False)
class CaseLifecycle:
    """The shared steps, with what they need."""

    engine: EngineClient
    telemetry: Telemetry
    staff: StaffNotices
    timers: TimerStore
    threads: DbThreads

    async def resume(self, sender_id: str) -> bool:
        """Un-pause the engine's conversation (``ConversationPaused`` by action_handoff)."""
        try:
            await self.engine.resume(sender_id)
        except EngineError as exc:
            log.error("could not resume %s: %s", sender_id, exc)
            return False
        return True

    async def record_close(self, case: Case, outcome: str, agent: str | None) -> None:
        """The handoff's telemetry: it must be closed before a survey can start."""
        await self.telemetry.handoff_resolved(
            case.handoff_id, outcome=outcome, agent=agent, at=case.closed_at
        )

    async def stop_timeout(self, case: Case) -> None:
        """No "everyone is busy" offer for a case someone claimed or that ended."""
        await self.threads.write(self.timers.cancel, HANDOFF_TIMEOUT_TIMER, case.handoff_id)

    async def tidy(self, case: Case, note: str) -> None:
        """After a close: no timeout any more, the card shows the end, the thread says why."""
        await self.stop_timeout(case)
        await self.staff.card(case)
        await self.staff.thread(case, note)
