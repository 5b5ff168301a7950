"""Blocking database calls, run off the event loop on a few threads of their own.

SQLite has one writer: concurrent writer threads only meet its busy-wait sleeps, so writes go
through one thread there and a small pool on a server database. Read-only lookups (one per
customer message: "is a person on this chat?") get their own threads, so they never queue
behind writes.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class DbThreads:
    """Construction starts no thread; :meth:`close` on shutdown."""

    def __init__(self, sqlite: bool) -> None:
        self._writes = ThreadPoolExecutor(max_workers=1 if sqlite else 8, thread_name_prefix="db")
        self._reads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="db-read")

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writes, functools.partial(fn, *args, **kwargs))

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reads, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._writes.shutdown(wait=False)
        self._reads.shutdown(wait=False)
