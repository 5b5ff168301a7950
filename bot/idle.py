"""The idle timer: when a conversation goes quiet after the bot's last answer, the engine gets
``EXTERNAL_conversation_idle`` (which ends the conversation with the survey)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.counters import GatewayCounters
from bot.delivery import Delivery
from bot.engine_client import EngineClient
from bot.errors import EngineUnavailable
from bot.messages import Address
from bot.state.timer_store import Timer
from bot.telemetry import Telemetry, replies_text
from bot.timer_outbox import DurableTimers
from contract import IDLE_INTENT, IDLE_TIMER, REPLAY_TIMER_PREFIX

log = logging.getLogger(__name__)


@dataclass(eq=False)
class IdleTimers:
    """Schedules (one pending timer per conversation, moved by every answer) and fires them."""

    timers: DurableTimers
    engine: EngineClient
    delivery: Delivery
    telemetry: Telemetry
    stats: GatewayCounters
    clock: Callable[[], datetime]
    timeout: timedelta
    retry_after: timedelta

    async def schedule(
        self, address: Address | dict[str, Any], cid: str | None, delay: timedelta | None = None
    ) -> None:
        """(Re)start the conversation's idle timer. Never raises: with the database down the
        timer waits in the outbox; only a failing disk too loses it (logged and counted)."""
        if cid is None:
            return
        payload = {
            "address": address.to_payload() if isinstance(address, Address) else address,
            "conversation_id": cid,
        }
        due = self.clock() + (self.timeout if delay is None else delay)
        try:
            await self.timers.schedule(IDLE_TIMER, cid, due, payload)
        except Exception:
            log.exception("could not schedule the idle timer")
            self.stats.timer_schedule_failed.inc()

    async def fire(self, timer: Timer) -> None:
        """Let the engine react, unless the conversation closed or a person has it meanwhile.
        With the engine down, the timer is tried again a little later."""
        cid, payload = timer.conversation_id, timer.payload
        address = Address.from_payload(payload["address"])
        info = await self.telemetry.conversation(cid)
        if info is not None and (info.closed_at or info.handoff_open):
            return
        if await self._message_kept(cid):  # the customer spoke; the engine has not heard yet
            await self.schedule(payload["address"], cid, delay=self.retry_after)
            return
        try:
            replies = await self.engine.trigger_intent(address.sender_id, IDLE_INTENT)
        except EngineUnavailable as exc:
            log.warning("engine unavailable for an idle timer; rescheduling: %s", exc)
            await self.schedule(payload["address"], cid, delay=self.retry_after)
            return
        await self.delivery.deliver(address, replies)
        if replies:
            await self.telemetry.note_turn(cid, "bot", replies_text(replies))
        self.stats.idle_triggered.inc()

    async def _message_kept(self, cid: str) -> bool:
        """True while a message of the conversation, kept for a down engine, waits for its
        replay: it is customer activity, and a survey ended now would lose a kept rating.
        Unknown (the database is down) counts as none."""
        try:
            return await self.timers.threads.read(
                self.timers.timers.waiting_for, REPLAY_TIMER_PREFIX, cid
            )
        except Exception as exc:
            log.warning("could not look for kept messages before an idle timer: %s", exc)
            return False
