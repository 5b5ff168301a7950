"""Which engine serves a conversation when ``ENGINE_URLS`` lists several.

Rendezvous (highest random weight) hashing on the sender id: every gateway ranks the engines the
same way for a conversation without sharing any state, a conversation stays on its engine, and
adding or removing an engine moves only the conversations that ranked it first. The engines
share the tracker store and a Redis lock store, so any of them can continue a conversation;
staying on one keeps each conversation's turns in order on one process while all are up.

Failing over is for an engine that never got the request (connection refused, connect timeout):
the next engine in the conversation's ranking gets it. An engine that *answered*, even 4xx/5xx,
or that timed out while reading (it may be running the turn) is not failed over: sending the
message to another engine could answer it twice. An engine that refused is ranked last for
``down_seconds``, so its conversations do not wait for a refused connection on every message.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence

import httpx

DEFAULT_DOWN_SECONDS = 5.0


def _weight(key: str, url: str) -> int:
    digest = hashlib.blake2b(f"{url}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def rendezvous_order(key: str, urls: Sequence[str]) -> list[str]:
    """``urls`` ranked for ``key``: the first serves it, the next ones take over in order."""
    return sorted(urls, key=lambda url: (_weight(key, url), url), reverse=True)


def never_reached(exc: httpx.HTTPError) -> bool:
    """True when the request cannot have reached the engine: safe to send it to another."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


class EngineRouter:
    """Ranks the engines for a conversation and remembers which refused connections lately."""

    def __init__(
        self,
        urls: Sequence[str],
        down_seconds: float = DEFAULT_DOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        cleaned = tuple(dict.fromkeys(u.rstrip("/") for u in urls if u.strip()))
        if not cleaned:
            raise ValueError("at least one engine URL is needed")
        self.urls = cleaned
        self._down_seconds = down_seconds
        self._clock = clock
        self._down_until: dict[str, float] = {}

    def order(self, key: str) -> list[str]:
        """The engines to try for ``key``, its own first; ones that refused lately go last."""
        ranked = rendezvous_order(key, self.urls)
        now = self._clock()
        up = [u for u in ranked if self._down_until.get(u, 0.0) <= now]
        return up + [u for u in ranked if u not in up]

    def refused(self, url: str) -> None:
        self._down_until[url] = self._clock() + self._down_seconds

    def answered(self, url: str) -> None:
        self._down_until.pop(url, None)
