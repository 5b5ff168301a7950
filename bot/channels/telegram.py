"""Telegram adapter: the thin handler around :mod:`bot.channels.telegram_format`.

Webhook mode (``POST /webhooks/telegram``, secret header checked in constant time) or, with
``TELEGRAM_MODE=polling``, a ``getUpdates`` loop for people without a public URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Coroutine, Sequence
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.channels.telegram_format import ButtonPress, TelegramCall, to_ours, to_theirs
from bot.errors import DeliveryFailed
from bot.gateway import Gateway
from bot.http import BadRequestBody, ok, parse_json_object, read_body, same_secret
from bot.messages import Address, BotReply, IncomingMessage, LocalReply

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def make_bot(token: str, base_url: str) -> Bot:
    """A ``telegram.Bot`` against ``base_url`` (the real API, a self-hosted one, or a fake)."""
    return Bot(token, base_url=base_url, request=HTTPXRequest(connection_pool_size=256))


class TelegramChannel:
    """Receives updates, hands them to the gateway, and delivers replies. No I/O until start()."""

    name = "telegram"

    def __init__(self, gateway: Gateway, bot: Bot) -> None:
        self.gateway = gateway
        self.settings = gateway.settings
        self.bot = bot
        self.username: str | None = None
        self._polling: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._identifying: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # getMe tells us our username (to know when a group addresses us). Telegram being
        # unreachable must not stop the gateway: keep trying in the background.
        if not await self._identify():
            self._identifying = asyncio.create_task(self._identify_later())
        if self.settings.telegram_mode == "polling":
            await self.bot.delete_webhook()
            self._polling = asyncio.create_task(self._poll(), name="telegram-polling")

    async def _identify(self) -> bool:
        try:
            await self.bot.initialize()
        except TelegramError as exc:
            log.error("Telegram getMe failed (is TELEGRAM_BOT_TOKEN right?): %s", exc)
            return False
        self.username = self.bot.username
        return True

    async def _identify_later(self) -> None:
        delay = 1.0
        while not await self._identify():
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)

    async def stop(self) -> None:
        for task in (self._identifying, self._polling):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.drain(timeout=10)
        with contextlib.suppress(TelegramError):
            await self.bot.shutdown()

    async def set_webhook(self, url: str) -> bool:
        return await self.bot.set_webhook(
            url, secret_token=self.settings.telegram_webhook_secret, allowed_updates=ALLOWED_UPDATES
        )

    # -- inbound -----------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        if not same_secret(
            request.headers.get(SECRET_HEADER), self.settings.telegram_webhook_secret
        ):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = parse_json_object(await read_body(request, self.settings.max_body_bytes))
            update = Update.de_json(data, self.bot)
        except BadRequestBody as exc:
            return exc.response
        except Exception:  # valid JSON that is not an Update
            return PlainTextResponse("not a Telegram update", status_code=400)
        try:
            first = await self.gateway.first_delivery(f"telegram:update:{update.update_id}")
        except Exception:
            log.exception("dedupe store unavailable; asking Telegram to redeliver")
            return PlainTextResponse("try again", status_code=503)
        if not first:
            return ok()
        # Answer Telegram at once and work in a task of our own: a Starlette background task
        # would hold the HTTP connection, and Telegram's next update on it, until the engine
        # answered.
        self._spawn(self.process(update))
        return ok()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the updates in progress (shutdown, tests)."""
        while self._tasks:
            done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            if pending:
                log.warning("%d Telegram updates still in progress at shutdown", len(pending))
                return

    async def process(self, update: Update) -> None:
        """Handle one (already deduplicated) update. Never raises."""
        try:
            inbound = to_ours(update, self.username, self.settings.start_text)
            if isinstance(inbound, IncomingMessage):
                await self.gateway.receive(inbound)
            elif isinstance(inbound, LocalReply):
                await self.gateway.deliver(inbound.address, inbound.replies)
            elif isinstance(inbound, ButtonPress):
                await self._press(inbound)
        except Exception:
            log.exception("failed to process Telegram update %s", update.update_id)
            self.gateway.stats["internal_errors"] += 1

    async def _press(self, press: ButtonPress) -> None:
        chat_id = int(press.address.chat_id)
        # Always answer, so the spinner on the customer's button stops.
        await self._best_effort(
            "answer_callback_query", {"callback_query_id": press.callback_query_id}
        )
        if press.message_id is not None:
            ids = {"chat_id": chat_id, "message_id": press.message_id}
            await self._best_effort("edit_message_reply_markup", {**ids, "reply_markup": None})
            if press.message_html:
                text = f"{press.message_html}\n\n✓ <b>{_escape(press.title)}</b>"
                await self._best_effort(
                    "edit_message_text", {**ids, "text": text, "parse_mode": ParseMode.HTML}
                )
        if press.payload:
            await self.gateway.receive(
                IncomingMessage(
                    address=press.address, text=press.payload, delivery_key=press.delivery_key
                )
            )

    async def _best_effort(self, method: str, kwargs: dict[str, Any]) -> None:
        try:
            await self._call(TelegramCall(method, kwargs))
        except DeliveryFailed as exc:
            log.warning("telegram %s failed: %s", method, exc)

    async def _poll(self) -> None:
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=25, allowed_updates=ALLOWED_UPDATES
                )
            except asyncio.CancelledError:
                raise
            except TelegramError as exc:
                log.warning("getUpdates failed: %s", exc)
                await asyncio.sleep(2)
                continue
            for update in updates:
                try:
                    first = await self.gateway.first_delivery(f"telegram:update:{update.update_id}")
                except Exception:
                    log.exception("dedupe store unavailable; processing anyway")
                    first = True
                if first:
                    await self.process(update)
                offset = update.update_id + 1

    # -- outbound ----------------------------------------------------------------------------

    async def deliver(self, address: Address, replies: Sequence[BotReply]) -> None:
        chat_id = int(address.chat_id)
        for reply in replies:
            for call in to_theirs(reply):
                kwargs = dict(call.kwargs)
                if call.method == "do_api_request":
                    kwargs["api_kwargs"] = {"chat_id": chat_id, **kwargs["api_kwargs"]}
                else:
                    kwargs["chat_id"] = chat_id
                await self._call(TelegramCall(call.method, kwargs))

    async def display_name(self, address: Address) -> str | None:
        """The customer's name as Telegram shows it (for the handoff staff card), or None."""
        try:
            chat = await self.bot.get_chat(int(address.user_id))
        except (TelegramError, ValueError, TypeError, AttributeError) as exc:
            log.info("no Telegram name for a handoff card: %s", exc)
            return None
        return chat.full_name or None

    async def _call(self, call: TelegramCall) -> Any:
        """One Bot API call: honour 429 ``retry_after``, back off on 5xx/network errors."""
        s = self.settings
        method = getattr(self.bot, call.method)
        last: Exception | None = None
        for attempt in range(s.delivery_attempts):
            try:
                with warnings.catch_warnings():  # do_api_request warns for known methods
                    warnings.simplefilter("ignore", PTBUserWarning)
                    return await method(**call.kwargs)
            except RetryAfter as exc:
                delay = _retry_after_seconds(exc)
                if delay > s.max_retry_after_seconds:
                    raise DeliveryFailed(f"{call.method}: flood wait of {delay:.0f}s") from exc
                last = exc
            except (BadRequest, Forbidden, InvalidToken) as exc:
                raise DeliveryFailed(f"{call.method}: {exc}") from exc
            except NetworkError as exc:  # 5xx, timeouts, connection errors
                delay = s.delivery_backoff_seconds * (2**attempt)
                last = exc
            except TelegramError as exc:
                raise DeliveryFailed(f"{call.method}: {exc}") from exc
            await asyncio.sleep(delay)
        raise DeliveryFailed(f"{call.method}: gave up after {s.delivery_attempts} attempts: {last}")


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _escape(text: str) -> str:
    from html import escape

    return escape(text, quote=False)
