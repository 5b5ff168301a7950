"""Telegram, outbound: replies through the Bot API (python-telegram-bot), honouring 429
``retry_after`` and backing off on 5xx and network errors."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import Bot
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

from bot.channels.telegram.format import TelegramCall, to_theirs
from bot.errors import DeliveryFailed
from bot.messages import Address, BotReply

log = logging.getLogger(__name__)


def make_bot(token: str, base_url: str) -> Bot:
    """A ``telegram.Bot`` against ``base_url`` (the real API, a self-hosted one, or a fake)."""
    return Bot(token, base_url=base_url, request=HTTPXRequest(connection_pool_size=256))


@dataclass(frozen=True)
class Retries:
    attempts: int = 5
    backoff_seconds: float = 0.5
    max_retry_after_seconds: float = 60.0


class TelegramOutbound:
    """The bot's side of a chat. Construction does no I/O."""

    def __init__(self, bot: Bot, retries: Retries) -> None:
        self.bot = bot
        self.retries = retries

    async def deliver(self, address: Address, replies: Sequence[BotReply]) -> None:
        chat_id = int(address.chat_id)
        for reply in replies:
            for call in to_theirs(reply):
                kwargs = dict(call.kwargs)
                if call.method == "do_api_request":
                    kwargs["api_kwargs"] = {"chat_id": chat_id, **kwargs["api_kwargs"]}
                else:
                    kwargs["chat_id"] = chat_id
                await self.call(TelegramCall(call.method, kwargs))

    async def display_name(self, address: Address) -> str | None:
        """The customer's name as Telegram shows it (for the handoff staff card), or None."""
        try:
            chat = await self.bot.get_chat(int(address.user_id))
        except (TelegramError, ValueError, TypeError, AttributeError) as exc:
            log.info("no Telegram name for a handoff card: %s", exc)
            return None
        return chat.full_name or None

    async def best_effort(self, method: str, kwargs: dict[str, Any]) -> None:
        """A call whose failure the customer can live with (a spinner, a button left on)."""
        try:
            await self.call(TelegramCall(method, kwargs))
        except DeliveryFailed as exc:
            log.warning("telegram %s failed: %s", method, exc)

    async def call(self, call: TelegramCall) -> Any:
        """One Bot API call: honour 429 ``retry_after``, back off on 5xx/network errors."""
        r = self.retries
        method = getattr(self.bot, call.method)  # a Bot API method name from to_theirs
        last: Exception | None = None
        for attempt in range(r.attempts):
            try:
                with warnings.catch_warnings():  # do_api_request warns for known methods
                    warnings.simplefilter("ignore", PTBUserWarning)
                    return await method(**call.kwargs)
            except RetryAfter as exc:
                delay = _retry_after_seconds(exc)
                if delay > r.max_retry_after_seconds:
                    raise DeliveryFailed(f"{call.method}: flood wait of {delay:.0f}s") from exc
                last = exc
            except (BadRequest, Forbidden, InvalidToken) as exc:
                raise DeliveryFailed(f"{call.method}: {exc}") from exc
            except NetworkError as exc:  # 5xx, timeouts, connection errors
                delay = r.backoff_seconds * (2**attempt)
                last = exc
            except TelegramError as exc:
                raise DeliveryFailed(f"{call.method}: {exc}") from exc
            await asyncio.sleep(delay)
        raise DeliveryFailed(f"{call.method}: gave up after {r.attempts} attempts: {last}")


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
