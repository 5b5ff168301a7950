"""Slack adapter: a bolt ``AsyncApp`` behind ``POST /webhooks/slack``, or Socket Mode.

Events, interactivity and slash commands share one URL. We verify the signature ourselves
first (403 on a forged or stale request), then let bolt route. Bolt acks events before our
listener runs and we ack actions/commands first thing, so Slack has its ack well within 3 s
and the engine's work happens after it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.channels.slack_format import (
    BUTTON_ACTION,
    chosen_blocks,
    press_to_ours,
    to_ours,
    to_theirs,
)
from bot.errors import DeliveryFailed
from bot.gateway import Gateway
from bot.http import BadRequestBody, parse_json_object, read_body
from bot.messages import Address, BotReply, IncomingMessage

log = logging.getLogger(__name__)


class SlackChannel:
    """Customers on Slack: DMs to the app and mentions in channels (answered in a thread)."""

    name = "slack"

    def __init__(self, gateway: Gateway) -> None:
        s = gateway.settings
        self.gateway = gateway
        self.settings = s
        self.client = AsyncWebClient(
            token=s.slack_bot_token,
            base_url=s.slack_api_base_url,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(max_retry_count=2),
                AsyncRateLimitErrorRetryHandler(max_retry_count=3),
                AsyncServerErrorRetryHandler(max_retry_count=3),
            ],
        )
        self.verifier = SignatureVerifier(s.slack_signing_secret or "")
        self.app = AsyncApp(
            client=self.client,
            signing_secret=s.slack_signing_secret or "",
            request_verification_enabled=bool(s.slack_signing_secret),
            process_before_response=False,
        )
        self._socket: Any = None
        self._inflight: set[asyncio.Task[Any]] = set()
        self._register()

    def _register(self) -> None:
        self.app.event("message")(self._tracked(self._on_event))
        self.app.event("app_mention")(self._tracked(self._on_event))
        self.app.action(BUTTON_ACTION)(self._tracked(self._on_button))
        self.app.command("/support")(self._tracked(self._on_support))

    def _tracked(self, fn: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """Bolt runs listeners as detached tasks after the ack; remember them so shutdown can
        let in-flight customer messages finish."""

        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._inflight.add(task)
            try:
                await fn(*args, **kwargs)
            finally:
                if task is not None:
                    self._inflight.discard(task)

        return wrapper

    async def start(self) -> None:
        if self.settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, self.settings.slack_app_token)
            await self._socket.connect_async()

    async def stop(self) -> None:
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=10)
        if self._socket is not None:
            await self._socket.close_async()

    # -- inbound -----------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        try:
            body = await read_body(request, self.settings.max_body_bytes)
        except BadRequestBody as exc:
            return exc.response
        if not self._signed(body, request):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            is_json = _parse(body, request.headers.get("content-type", ""))
        except BadRequestBody as exc:
            return exc.response
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8", errors="replace"),
            query=dict(request.query_params),
            headers=dict(request.headers),
        )
        bolt = await self.app.async_dispatch(bolt_request)
        if bolt.status == 404 and is_json:
            return Response(status_code=200)  # an event we do not subscribe to: ack, no retry
        return Response(
            status_code=bolt.status,
            content=bolt.body,
            headers=bolt.first_headers_without_set_cookie(),
        )

    def _signed(self, body: bytes, request: Request) -> bool:
        if not self.settings.slack_signing_secret:
            return False
        try:
            return self.verifier.is_valid(
                body,
                request.headers.get("X-Slack-Request-Timestamp"),
                request.headers.get("X-Slack-Signature"),
            )
        except ValueError:  # a timestamp that is not a number
            return False

    async def _on_event(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        event_id = str(body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}")
        msg = to_ours(event, context.bot_user_id, event_id)
        if msg is None:
            return
        if await self._first(msg.delivery_key):
            await self.gateway.receive(msg)

    async def _on_button(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        press = press_to_ours(body, action)
        if not await self._first(press.delivery_key):
            return
        if press.message_ts:
            try:
                await self.client.chat_update(
                    channel=press.address.chat_id,
                    ts=press.message_ts,
                    text=press.text or press.title,
                    blocks=chosen_blocks(press),
                )
            except SlackClientError as exc:
                log.warning("could not replace the buttons: %s", exc)
        await self.gateway.receive(
            IncomingMessage(
                address=press.address, text=press.payload, delivery_key=press.delivery_key
            )
        )

    async def _on_support(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        user = str(body.get("user_id") or "")
        channel = str(body.get("channel_id") or "")
        try:  # the conversation continues in the customer's DM with the app
            opened = await self.client.conversations_open(users=user)
            channel = str((opened.get("channel") or {}).get("id") or channel)
        except SlackClientError as exc:
            log.warning("conversations.open failed, answering in %s: %s", channel, exc)
        key = f"slack:command:{body.get('trigger_id')}"
        if await self._first(key):
            address = Address("slack", channel, user, shared_chat=not channel.startswith("D"))
            await self.gateway.receive(IncomingMessage(address, self.settings.start_text, key))

    async def _first(self, key: str) -> bool:
        try:
            return await self.gateway.first_delivery(key)
        except Exception:  # better a rare duplicate than a lost customer message
            log.exception("dedupe store unavailable; processing %s anyway", key)
            return True

    # -- outbound ----------------------------------------------------------------------------

    async def deliver(self, address: Address, replies: Sequence[BotReply]) -> None:
        for reply in replies:
            for kwargs in to_theirs(reply):
                if address.thread_ts:
                    kwargs.setdefault("thread_ts", address.thread_ts)
                try:
                    await self.client.chat_postMessage(channel=address.chat_id, **kwargs)
                except (SlackApiError, SlackClientError, OSError) as exc:
                    raise DeliveryFailed(f"chat.postMessage: {exc}") from exc


def _parse(body: bytes, content_type: str) -> bool:
    """400 on malformed JSON (events) or a form without ``payload``/``command``; True for JSON."""
    if content_type.startswith("application/json"):
        parse_json_object(body)
        return True
    form = parse_qs(body.decode("utf-8", errors="replace"))
    if "payload" in form:
        try:
            json.loads(form["payload"][0])
        except ValueError as exc:
            raise BadRequestBody(PlainTextResponse("malformed JSON", status_code=400)) from exc
        return False
    if "command" in form or "ssl_check" in form:
        return False
    raise BadRequestBody(PlainTextResponse("unrecognised Slack request", status_code=400))
