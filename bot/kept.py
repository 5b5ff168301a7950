"""Customer messages kept while the engine is down: each is a durable timer, so any gateway
replays it (``Pipeline.replay``) when its time comes, with a growing delay between attempts.
:class:`DrainWhenReady` watches the engine while messages are kept and makes them all due the
moment it answers again, so they do not wait out the backoff."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.counters import GatewayCounters
from bot.engine_client import EngineClient
from bot.messages import IncomingMessage
from bot.polling import poll_forever
from bot.state.timer_store import TimerStore
from bot.threads import DbThreads
from bot.timer_outbox import DurableTimers
from contract import REPLAY_TIMER_PREFIX

log = logging.getLogger(__name__)


@dataclass(eq=False)
class KeptMessages:
    """Keeps messages as replay timers, each attempt further apart."""

    timers: DurableTimers
    stats: GatewayCounters
    clock: Callable[[], datetime]
    first_delay_seconds: float
    max_delay_seconds: float

    async def keep(self, msg: IncomingMessage, cid: str | None) -> None:
        """Keep a message the engine could not answer; it is replayed later."""
        key = hashlib.sha256(msg.delivery_key.encode()).hexdigest()[:16]
        payload = {
            "address": msg.address.to_payload(),
            "text": msg.text,
            "locale": msg.locale,
            "delivery_key": msg.delivery_key,
            "received_at": msg.received_at.isoformat(),
            "conversation_id": cid,
            "key": key,
        }
        await self.keep_again(cid or key, payload, attempt=0)

    async def keep_again(self, timer_cid: str, payload: dict[str, Any], attempt: int) -> None:
        """Schedule attempt number ``attempt`` of a kept message. Never raises: a message that
        cannot even be kept is logged and counted as lost."""
        delay = min(
            self.first_delay_seconds * (2 ** min(attempt, 16)),
            self.max_delay_seconds,
        )
        try:
            await self.timers.schedule(
                f"{REPLAY_TIMER_PREFIX}{payload['key']}",
                timer_cid,
                self.clock() + timedelta(seconds=delay),
                {**payload, "attempt": attempt},
            )
            if attempt == 0:
                self.stats.messages_kept.inc()
            else:
                self.stats.messages_kept_again.inc()
        except Exception:
            log.exception("could not keep a message while the engine is down: it is lost")
            self.stats.messages_lost.inc()


@dataclass(eq=False)
class DrainWhenReady:
    """While messages are kept, probe the engine every ``interval`` seconds; once it is ready,
    every kept message becomes due at once (the timer loop replays them, oldest first)."""

    timers: TimerStore
    threads: DbThreads
    engine: EngineClient
    clock: Callable[[], datetime]
    stats: GatewayCounters

    async def run_once(self) -> int:
        """Returns how many kept messages were made due now."""
        if not await self.threads.read(self.timers.pending, REPLAY_TIMER_PREFIX):
            return 0
        if not await self.engine.is_ready():
            return 0
        moved = await self.threads.write(self.timers.hurry, REPLAY_TIMER_PREFIX, self.clock())
        if moved:
            log.info("the engine is ready again: %d kept messages are due now", moved)
            self.stats.kept_messages_hurried.inc(moved)
        return moved

    async def run(self, interval: float) -> None:
        """Poll forever (cancelled on shutdown). Failures are logged, not fatal."""
        await poll_forever(self.run_once, interval, "kept-message drain check")
