"""Slack, outbound: the Web API client (slack_sdk, with its retry handlers) and replies to
customers as Block Kit messages."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.format import to_theirs
from bot.errors import DeliveryFailed
from bot.messages import Address, BotReply

log = logging.getLogger(__name__)


def make_client(token: str | None, base_url: str) -> AsyncWebClient:
    """The Web API client against ``base_url`` (Slack, or a fake in tests)."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=3),
        ],
    )


class SlackOutbound:
    """Replies to Slack customers and their names. Construction does no I/O."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def deliver(self, address: Address, replies: Sequence[BotReply]) -> None:
        for reply in replies:
            for kwargs in to_theirs(reply):
                if address.thread_ts:
                    kwargs.setdefault("thread_ts", address.thread_ts)
                try:
                    await self.client.chat_postMessage(channel=address.chat_id, **kwargs)
                except (SlackApiError, SlackClientError, OSError) as exc:
                    raise DeliveryFailed(f"chat.postMessage: {exc}") from exc

    async def display_name(self, address: Address) -> str | None:
        return await user_name(self.client, address.user_id)


async def user_name(client: AsyncWebClient, user_id: str) -> str | None:
    """A Slack user's display name (``users.info``), or None when Slack does not say."""
    try:
        response = await client.users_info(user=user_id)
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("users.info failed for %s: %s", user_id, exc)
        return None
    user = response.get("user") or {}
    profile = user.get("profile") or {}
    for name in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if name:
            return str(name)
    return None
