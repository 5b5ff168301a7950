"""The gateway's background loops (inbox, timers, kept-message drain, alerts): run one pass,
log a failure instead of dying, wait, again; stop only when cancelled at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


async def poll_forever(run_once: Callable[[], Awaitable[Any]], interval: float, what: str) -> None:
    """Call ``run_once`` every ``interval`` seconds until cancelled; a failed pass is logged
    as "``what`` failed" (a database hiccup must not end the loop)."""
    while True:
        try:
            await run_once()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed", what)
        await asyncio.sleep(interval)
