"""The timer loop: claims due timers from the gateway's database and runs each one's handler
(idle survey, kept-message replay, handoff timeout). Several gateways may poll: each timer is
claimed by exactly one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from bot.counters import GatewayCounters
from bot.polling import poll_forever
from bot.state.timer_store import Timer, TimerStore
from bot.threads import DbThreads
from bot.timer_outbox import DurableTimers

log = logging.getLogger(__name__)

TimerHandler = Callable[[Timer], Awaitable[None]]
LATE_AFTER = timedelta(seconds=60)
"""A timer claimed more than this after it was due counts as late (``timers_late``): with a
poll of about a second, only a stopped timer loop, a database outage or a dead gateway's lease
makes one this late."""


class TimerWorker:
    """``run_once`` is what tests call; ``run`` loops. ``handlers`` maps a timer kind, or a
    kind prefix ending in ``:`` (``replay:``), to what fires it."""

    def __init__(
        self,
        timers: TimerStore,
        deferred: DurableTimers,
        threads: DbThreads,
        handlers: Mapping[str, TimerHandler],
        owner: str,
        clock: Callable[[], datetime],
        stats: GatewayCounters,
        batch: int = 50,
    ) -> None:
        self.timers = timers
        self.deferred = deferred
        self.threads = threads
        self.handlers = dict(handlers)
        self.owner = owner
        self.clock = clock
        self.stats = stats
        self.batch = batch

    async def run_once(self, now: datetime | None = None) -> int:
        """Fire every timer due at ``now``; returns how many this gateway claimed. Timers
        scheduled during a database outage are put in place first."""
        await self.deferred.replay()
        now = now or self.clock()
        # One conversation's timers at a time: a gateway holds only what it fires now, so if
        # it dies mid-way (a long replay of kept messages), other gateways fire the rest at
        # their next poll instead of after the claim lease (``CLAIM_LEASE``). Each
        # conversation once per run: a timer a handler reschedules waits for the next poll.
        done: set[str] = set()
        fired = 0
        while fired < self.batch:
            due = await self.threads.write(
                self.timers.claim_due,
                now=now,
                owner=self.owner,
                limit=self.batch - fired,
                one_conversation=True,
                skip=frozenset(done),
            )
            if not due:
                break
            done.update(t.conversation_id for t in due)
            fired += len(due)
            self.stats.timers_fired.inc(len(due))
            self.stats.timers_late.inc(sum(now - t.due_at > LATE_AFTER for t in due))
            # Kept messages replay in the order customers wrote them.
            for timer in sorted(due, key=lambda t: str(t.payload.get("received_at", ""))):
                await self._fire(timer)
        return fired

    def _handler(self, kind: str) -> TimerHandler | None:
        if kind in self.handlers:
            return self.handlers[kind]
        prefix = kind.split(":", 1)[0] + ":"
        return self.handlers.get(prefix) if ":" in kind else None

    async def _fire(self, timer: Timer) -> None:
        handler = self._handler(timer.kind)
        try:
            if handler is None:
                log.info("ignoring timer of unknown kind %r", timer.kind)
            else:
                await handler(timer)
        except Exception:
            log.exception("timer %s failed; dropping it", timer.kind)
            self.stats.timer_failed.inc()
        await self.threads.write(self.timers.complete, timer.id)

    async def run(self, interval: float) -> None:
        """Poll forever (cancelled on shutdown). Database hiccups are logged, not fatal."""
        await poll_forever(self.run_once, interval, "timer poll")
