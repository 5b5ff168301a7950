"""The durable inbox: a webhook commits the delivery (:meth:`Inbox.accept`) before it answers the
platform, then this gateway works on it at once; rows a dead gateway held, or that waited behind
an older message of their conversation, are resumed by :class:`InboxWorker` on any gateway."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from bot.channels.plumbing import InFlight
from bot.counters import GatewayCounters
from bot.polling import poll_forever
from bot.state.inbox_store import InboxItem, InboxStore
from bot.threads import DbThreads

log = logging.getLogger(__name__)

InboxHandler = Callable[[dict[str, Any]], Awaitable[None]]
"""Handles one accepted delivery (the platform's JSON); never raises."""

MAX_ATTEMPTS = 5  # leases of one row; a delivery that kills its gateway each time is dropped


class Inbox:
    """Accepts deliveries and works on them; no I/O until called."""

    def __init__(
        self,
        store: InboxStore,
        threads: DbThreads,
        clock: Callable[[], datetime],
        stats: GatewayCounters,
    ) -> None:
        self.store = store
        self.threads = threads
        self.clock = clock
        self.stats = stats
        self.inflight = InFlight("inbox deliveries")

    async def accept(
        self,
        delivery_key: str,
        channel: str,
        conversation_key: str,
        payload: dict[str, Any],
        handler: InboxHandler,
    ) -> bool:
        """Before the platform's 200: True for a new delivery, now durable and being worked on;
        False for a duplicate. Raises ``StateUnavailable`` on an outage: answer 503, so the
        platform delivers again."""
        try:
            accepted = await self.threads.write(
                self.store.accept, delivery_key, channel, conversation_key, payload, self.clock()
            )
        except Exception:
            self.stats.webhooks_refused.inc()
            raise
        if accepted.item is not None:
            self.inflight.spawn(self.work(accepted.item, handler))
        return accepted.first

    async def work(self, item: InboxItem | None, handler: InboxHandler) -> None:
        """Handle ``item``, then the rows of its conversation that arrived meanwhile."""
        while item is not None:
            if item.attempts > MAX_ATTEMPTS:
                log.error("inbox row %s failed %d times; dropping it", item.id, MAX_ATTEMPTS)
                self.stats.messages_lost.inc()
                await self.threads.write(self.store.drop, item)
                return
            renewing = asyncio.create_task(self._keep_leased(item))
            try:
                await handler(item.payload)
            except Exception:
                log.exception("inbox row %s (%s) failed", item.id, item.channel)
            finally:
                renewing.cancel()
            item = await self._finish(item)

    async def _keep_leased(self, item: InboxItem) -> None:
        """A slow engine must not make another gateway think we died: renew the lease while
        the row is being worked on. After a failed renewal (the database is down) retry every
        second, so that when it returns we renew well inside the grace period another gateway
        gives us (:meth:`InboxStore.claim_waiting`) before it may take the row."""
        every = self.store.lease.total_seconds() / 3
        wait = every
        while True:
            await asyncio.sleep(wait)
            try:
                await self.threads.write(self.store.extend, item, self.clock())
                wait = every
            except Exception:
                log.warning("could not renew the lease of inbox row %s", item.id)
                wait = min(every, 1.0)

    async def _finish(self, item: InboxItem) -> InboxItem | None:
        """Delete the handled row (and lease its conversation's next one). The reply is out, so
        retry until the database answers, however long the outage: a row left behind is
        answered again by another gateway. Retries are at most ``lease / 3`` apart, so once the
        database is back we delete the row inside the grace period another gateway gives our
        run-out lease (:meth:`InboxStore.claim_waiting`)."""
        delay = 0.5
        cap = max(0.1, min(10.0, self.store.lease.total_seconds() / 3))
        while True:
            try:
                return await self.threads.write(self.store.finish_and_next, item, self.clock())
            except Exception:
                log.warning("could not mark inbox row %s done; retrying", item.id)
                await asyncio.sleep(delay)
                delay = min(delay * 2, cap)

    async def depth(self) -> int:
        return await self.threads.read(self.store.depth)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the deliveries in progress (shutdown, tests)."""
        await self.inflight.drain(timeout)


class InboxWorker:
    """Resumes waiting rows: ``run_once`` is what tests call; ``run`` polls."""

    def __init__(self, inbox: Inbox, handlers: Mapping[str, InboxHandler]) -> None:
        self.inbox = inbox
        self.handlers = dict(handlers)

    async def run_once(self) -> int:
        """Lease and start every waiting row this gateway can handle; returns how many."""
        inbox = self.inbox
        items = await inbox.threads.write(inbox.store.claim_waiting, inbox.clock())
        for item in items:
            handler = self.handlers.get(item.channel)
            if handler is None:
                log.error("inbox row %s is for %s, which is off here", item.id, item.channel)
                continue  # its lease runs out; a gateway with that channel takes it
            log.info("resuming inbox row %s (%s)", item.id, item.channel)
            inbox.stats.inbox_resumed.inc()
            inbox.inflight.spawn(inbox.work(item, handler))
        return len(items)

    async def run(self, interval: float) -> None:
        """Poll forever (cancelled on shutdown). Database hiccups are logged, not fatal."""
        await poll_forever(self.run_once, interval, "inbox poll")
