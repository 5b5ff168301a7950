"""Client of the Rasa engine: the REST channel for customer messages; the HTTP API for
external intents, pausing/resuming and trackers. With several engines (``ENGINE_URLS``) every
call about a conversation goes to that conversation's engine (``bot/engine_routing.py``).

``bot`` never imports ``rasa``; this module is the whole interface to the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from bot.engine_routing import EngineRouter, never_reached
from bot.errors import EngineError, EngineUnavailable
from bot.messages import BotReply

log = logging.getLogger(__name__)


class EngineClient:
    """Talks to the engine at ``base_url``, or to several (a sequence of URLs), each
    conversation to its own. Creating it does no I/O; call :meth:`aclose` when done."""

    def __init__(
        self,
        base_url: str | Sequence[str],
        token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.router = EngineRouter([base_url] if isinstance(base_url, str) else base_url)
        self._token = token
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send_message(
        self, sender_id: str, text: str, metadata: Mapping[str, Any]
    ) -> list[BotReply]:
        """One customer message through the REST channel; returns the bot's replies."""
        body = {"sender": sender_id, "message": text, "metadata": dict(metadata)}
        data = await self._request(sender_id, "POST", "/webhooks/rest/webhook", json=body)
        if not isinstance(data, list):
            raise EngineError("the REST channel did not answer with a list of messages")
        return _replies(data)

    async def trigger_intent(
        self, sender_id: str, name: str, entities: Mapping[str, Any] | None = None
    ) -> list[BotReply]:
        """``trigger_intent`` through the HTTP API; returns the messages for the REST channel."""
        params = {"output_channel": "latest", **self._auth()}
        body = {"name": name, "entities": dict(entities or {})}
        path = f"{_conversation(sender_id)}/trigger_intent"
        data = await self._request(sender_id, "POST", path, json=body, params=params)
        messages = data.get("messages") if isinstance(data, Mapping) else None
        return _replies(messages or [])

    async def resume(self, sender_id: str) -> None:
        """Un-pause a conversation paused by ``ConversationPaused`` (a handoff). The
        ``action_listen`` closes the paused turn as if the bot had waited for the customer, so
        rules (e.g. EXTERNAL_handoff_resolved -> survey) match again."""
        events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        path = f"{_conversation(sender_id)}/tracker/events"
        await self._request(sender_id, "POST", path, json=events, params=self._auth())

    async def tracker(self, sender_id: str) -> Any:
        """The engine's tracker of one conversation (events, slots) as JSON."""
        return await self._request(
            sender_id, "GET", f"{_conversation(sender_id)}/tracker", params=self._auth()
        )

    def _auth(self) -> dict[str, str]:
        return {"token": self._token} if self._token else {}

    async def is_ready(self) -> bool:
        """True when an engine answers (every conversation can be served by one)."""
        return any((await self.readiness()).values())

    async def readiness(self) -> dict[str, bool]:
        """Each engine's readiness, by URL (``/readyz`` reports them)."""
        urls = self.router.urls
        answers = await asyncio.gather(*(self._engine_ready(url) for url in urls))
        return dict(zip(urls, answers, strict=True))

    async def _engine_ready(self, base_url: str) -> bool:
        """``/status?token=`` (which also proves a model is loaded) when we have the token,
        else ``GET /``."""
        try:
            if self._token:
                response = await self._client.get(
                    base_url + "/status", params={"token": self._token}, timeout=2.0
                )
                return response.status_code == 200 and bool(response.json().get("model_file"))
            response = await self._client.get(base_url + "/", timeout=2.0)
        except (httpx.HTTPError, ValueError, AttributeError):
            return False
        return response.status_code == 200

    async def _request(self, sender_id: str, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._send(sender_id, method, path, **kwargs)
        if response.status_code >= 500:
            raise EngineUnavailable(f"engine answered {response.status_code} on {path}")
        if response.status_code >= 400:
            raise EngineError(f"engine refused {path}: {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise EngineError(f"engine answered invalid JSON on {path}") from exc

    async def _send(self, sender_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The conversation's engine answers; if it cannot be reached, the next one in its
        ranking does. Any answer, or a timeout after the request went out, is final."""
        unreached: httpx.HTTPError | None = None
        for url in self.router.order(sender_id):
            try:
                response = await self._client.request(method, url + path, **kwargs)
            except httpx.HTTPError as exc:
                if not never_reached(exc):
                    if isinstance(exc, httpx.TimeoutException):
                        raise EngineUnavailable(f"engine timed out on {path}") from exc
                    name = type(exc).__name__
                    raise EngineUnavailable(f"engine unreachable on {path}: {name}") from exc
                self.router.refused(url)
                unreached = exc
                log.warning("engine %s unreachable (%s), trying the next", url, type(exc).__name__)
                continue
            self.router.answered(url)
            return response
        name = type(unreached).__name__
        raise EngineUnavailable(f"engine unreachable on {path}: {name}") from unreached


def _conversation(sender_id: str) -> str:
    # Rasa's server (sanic) does not unquote path parameters: an escaped ":" would address
    # another conversation ("telegram%3A42"), so ":" stays as it is.
    return f"/conversations/{quote(sender_id, safe=':')}"


def _replies(items: Sequence[Any]) -> list[BotReply]:
    return [BotReply.from_rasa(item) for item in items if isinstance(item, Mapping)]
