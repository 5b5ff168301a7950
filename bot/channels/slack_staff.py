"""The staff desk in Slack: the handoff card and its thread in ``SLACK_STAFF_CHANNEL``.

:class:`SlackStaffDesk` is the thin handler on the customer channel's bolt app (same
``/webhooks/slack`` URL, same signature check): staff-channel events and card buttons in,
cards, thread posts and ephemeral answers out. The translations live in
``slack_staff_format.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_staff_format import (
    ACTION,
    card_blocks,
    card_text,
    confirmation_blocks,
    staff_action_to_ours,
    staff_message_to_ours,
)
from bot.handoff import HandoffRouter
from bot.handoff_values import StaffMessage, agent_display
from bot.messages import Address, utcnow
from cx_telemetry.handoff_state import Case

log = logging.getLogger(__name__)


class SlackStaffDesk:
    """The router's :class:`bot.handoff.StaffDesk` in Slack. Construction does no I/O;
    :meth:`attach` registers the listeners on the customer channel's bolt app."""

    def __init__(
        self,
        app: AsyncApp,
        client: AsyncWebClient,
        channel: str,
        first_delivery: Callable[[str], Awaitable[bool]],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.app = app
        self.client = client
        self.channel = channel
        self.first_delivery = first_delivery
        self.clock = clock
        self.router: HandoffRouter | None = None
        self._names: dict[str, str] = {}  # a cache only: names are looked up again after restart
        self._inflight: set[asyncio.Task[None]] = set()

    def attach(self, router: HandoffRouter) -> None:
        self.router = router
        # Staff thread messages must not reach the customer listener (which claims every
        # "message" event), so a middleware takes them before listener dispatch.
        self.app.use(self._staff_events)
        self.app.action(ACTION)(self._on_action)

    async def stop(self) -> None:
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=10)

    # -- inbound -----------------------------------------------------------------------------

    async def _staff_events(
        self, body: dict[str, Any], context: Any, next: Callable[[], Awaitable[Any]]
    ) -> Any:
        event = body.get("event") if body.get("type") == "event_callback" else None
        if not isinstance(event, dict) or event.get("channel") != self.channel:
            return await next()
        if event.get("type") == "message":
            event_id = str(body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}")
            msg = staff_message_to_ours(event, self.channel, context.get("bot_user_id"), event_id)
            if msg is not None:
                self._spawn(self._on_message(msg))
        return BoltResponse(status=200, body="")  # staff-channel events never reach customers

    async def _on_message(self, msg: StaffMessage) -> None:
        if self.router is not None and await self._first(msg.delivery_key):
            await self.router.on_staff_message(msg)

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        task = asyncio.current_task()
        if task is not None:  # bolt runs us after the ack; let shutdown wait for us
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        await ack()
        staff_action = staff_action_to_ours(body, action)
        if staff_action is None or self.router is None:
            return
        if await self._first(staff_action.delivery_key):
            await self.router.on_staff_action(staff_action)

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await coro
            except Exception:
                log.exception("staff event failed")

        task = asyncio.ensure_future(run())
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _first(self, key: str) -> bool:
        try:
            return await self.first_delivery(key)
        except Exception:  # better a rare duplicate than a lost staff reply
            log.exception("dedupe store unavailable; processing %s anyway", key)
            return True

    # -- outbound (StaffDesk) ----------------------------------------------------------------

    async def post_card(self, case: Case) -> str:
        now = self.clock()
        response = await self.client.chat_postMessage(
            channel=self.channel, text=card_text(case, now), blocks=card_blocks(case, now)
        )
        return str(response["ts"])

    async def update_card(self, case: Case) -> None:
        now = self.clock()
        await self.client.chat_update(
            channel=case.staff_channel or self.channel,
            ts=str(case.card_ts),
            text=card_text(case, now),
            blocks=card_blocks(case, now),
        )

    async def post_in_thread(self, case: Case, text: str) -> None:
        await self.client.chat_postMessage(
            channel=case.staff_channel or self.channel, thread_ts=case.card_ts, text=text
        )

    async def tell(self, case: Case, user_id: str, text: str) -> None:
        await self.client.chat_postEphemeral(
            channel=case.staff_channel or self.channel,
            user=user_id,
            thread_ts=case.card_ts,
            text=text,
        )

    async def ask_confirmation(self, case: Case, user_id: str, kind: str) -> None:
        await self.client.chat_postEphemeral(
            channel=case.staff_channel or self.channel,
            user=user_id,
            thread_ts=case.card_ts,
            text=f"{agent_display(case.agent)} claimed this case. Are you sure?",
            blocks=confirmation_blocks(case, kind),
        )

    async def agent_name(self, user_id: str) -> str:
        if user_id not in self._names:
            self._names[user_id] = await self._user_name(user_id) or user_id
        return self._names[user_id]

    async def customer_name(self, address: Address) -> str | None:
        if address.channel != "slack":
            return None  # Telegram customers appear by pseudonym (and their words)
        return await self._user_name(address.user_id)

    async def _user_name(self, user_id: str) -> str | None:
        try:
            response = await self.client.users_info(user=user_id)
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


def attach_staff_desk(router: HandoffRouter, slack: Any, staff_channel: str) -> SlackStaffDesk:
    """Put the staff desk on the customer Slack channel's bolt app (``slack`` is its
    ``SlackChannel``) and make it the router's staff side."""
    desk = SlackStaffDesk(
        slack.app, slack.client, staff_channel, router.gateway.first_delivery, router.gateway.clock
    )
    desk.attach(router)
    router.staff = desk
    return desk
