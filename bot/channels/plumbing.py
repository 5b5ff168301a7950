"""What every channel adapter needs around its platform: delivery dedupe with an explicit
outage policy, the work that runs after the platform got its answer, and button taps turned
into customer messages."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from bot.messages import Address, IncomingMessage
from bot.state.deliveries import DeliveryKeys
from bot.threads import DbThreads

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Awaitable[None]])


class Dedupe:
    """A platform delivery is processed once, by whichever gateway sees it first."""

    def __init__(self, keys: DeliveryKeys, threads: DbThreads) -> None:
        self.keys = keys
        self.threads = threads

    async def first_or_refuse(self, key: str) -> bool:
        """Before the platform has its answer: raises ``StateUnavailable`` on an outage, so the
        webhook answers 503 and the platform delivers again later."""
        return await self.threads.write(self.keys.first_delivery, key)

    async def first_or_assume(self, key: str, claimant: str | None = None) -> bool:
        """After the platform has its answer (it will not deliver again): on an outage the
        delivery is processed anyway; a rare duplicate beats a lost message. With
        ``claimant`` (the delivery that claims ``key``, e.g. a keyboard), the same claimant
        is first again: a gateway resuming a killed one's inbox row is not a second tap."""
        try:
            if claimant is not None:
                return await self.threads.write(self.keys.first_claim, key, claimant)
            return await self.threads.write(self.keys.first_delivery, key)
        except Exception:
            log.exception("dedupe store unavailable; processing %s anyway", key)
            return True


class InFlight:
    """Work that runs after the platform's ack; shutdown lets it finish."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in a task of its own (exceptions are logged, never lost)."""

        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("%s failed", self.what)

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def tracked(self, fn: F) -> F:
        """For listeners a framework already runs as tasks (bolt): remember the current task."""

        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                await fn(*args, **kwargs)
            finally:
                if task is not None:
                    self._tasks.discard(task)

        return wrapper  # type: ignore[return-value]

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the work in progress (shutdown, tests)."""
        while self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            if pending:
                log.warning("%d %s still in progress at shutdown", len(pending), self.what)
                return


class Press(Protocol):
    """A tap on one of our buttons, on any platform."""

    @property
    def address(self) -> Address: ...

    @property
    def payload(self) -> str: ...

    @property
    def delivery_key(self) -> str: ...


def press_message(press: Press) -> IncomingMessage | None:
    """The customer message a tap stands for: its payload, as if typed (None if it has none)."""
    if not press.payload:
        return None
    return IncomingMessage(
        address=press.address, text=press.payload, delivery_key=press.delivery_key
    )


Receive = Callable[[IncomingMessage], Awaitable[None]]
