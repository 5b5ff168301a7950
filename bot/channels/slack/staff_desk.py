"""The staff desk in Slack: the handoff card and its thread in ``SLACK_STAFF_CHANNEL``.

:class:`SlackStaffDesk` is the desk's :class:`bot.handoff.staff_desk.StaffDesk`: cards, thread
posts and ephemeral answers out. :class:`SlackStaffListener` registers on the customer
channel's bolt app (same ``/webhooks/slack`` URL, same signature check) and hands staff-channel
messages and card buttons to the desk's staff side. The translations live in
``staff_format.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.plumbing import Dedupe, InFlight
from bot.channels.slack.markup import fit, mentioned_users
from bot.channels.slack.outbound import user_name
from bot.channels.slack.staff_format import (
    ACTION,
    SECTION_CHARS,
    card_blocks,
    card_text,
    confirmation_blocks,
    staff_action_to_ours,
    staff_message_to_ours,
    thread_texts,
)
from bot.handoff.staff import StaffSide
from bot.handoff.values import Case, agent_display

log = logging.getLogger(__name__)


class SlackStaffDesk:
    """Cards, threads and names in the staff channel. Construction does no I/O."""

    def __init__(self, client: AsyncWebClient, channel: str, clock: Callable[[], datetime]) -> None:
        self.client = client
        self._channel = channel
        self.clock = clock
        self._names: dict[str, str] = {}  # a cache only: names are looked up again after restart

    @property
    def channel(self) -> str:
        return self._channel

    async def post_card(self, case: Case) -> str:
        now = self.clock()
        response = await self.client.chat_postMessage(
            channel=self._channel, text=card_text(case, now), blocks=card_blocks(case, now)
        )
        return str(response["ts"])

    async def update_card(self, case: Case) -> None:
        now = self.clock()
        await self.client.chat_update(
            channel=case.staff_channel or self._channel,
            ts=str(case.card_ts),
            text=card_text(case, now),
            blocks=card_blocks(case, now),
        )

    async def post_note(self, case: Case, text: str) -> None:
        await self._post(case, thread_texts(text, customer=False))

    async def post_customer_text(self, case: Case, text: str) -> None:
        await self._post(case, thread_texts(text, customer=True))

    async def _post(self, case: Case, texts: list[str]) -> None:
        for text in texts:
            await self.client.chat_postMessage(
                channel=case.staff_channel or self._channel,
                thread_ts=case.card_ts,
                text=text,
                unfurl_links=False,
                unfurl_media=False,
            )

    async def tell(self, case: Case, user_id: str, text: str) -> None:
        await self.client.chat_postEphemeral(
            channel=case.staff_channel or self._channel,
            user=user_id,
            thread_ts=case.card_ts,
            text=fit(text, SECTION_CHARS),
        )

    async def ask_confirmation(self, case: Case, user_id: str, kind: str) -> None:
        await self.client.chat_postEphemeral(
            channel=case.staff_channel or self._channel,
            user=user_id,
            thread_ts=case.card_ts,
            text=fit(f"{agent_display(case.agent)} claimed this case. Are you sure?", 300),
            blocks=confirmation_blocks(case, kind),
        )

    async def agent_name(self, user_id: str) -> str:
        if user_id not in self._names:
            self._names[user_id] = await user_name(self.client, user_id) or user_id
        return self._names[user_id]


class SlackStaffListener:
    """Staff-channel messages and card buttons in, to :class:`StaffSide`."""

    def __init__(self, app: AsyncApp, channel: str, staff: StaffSide, dedupe: Dedupe) -> None:
        self.client: AsyncWebClient = app.client
        self.channel = channel
        self.staff = staff
        self.dedupe = dedupe
        self.inflight = InFlight("staff desk events")
        # Staff thread messages must not reach the customer listener (which claims every
        # "message" event), so a middleware takes them before listener dispatch.
        app.use(self._staff_events)
        app.action(ACTION)(self.inflight.tracked(self._on_action))

    async def stop(self) -> None:
        await self.inflight.drain(timeout=10)

    async def _staff_events(
        self, body: dict[str, Any], context: Any, next: Callable[[], Awaitable[Any]]
    ) -> Any:
        event = body.get("event") if body.get("type") == "event_callback" else None
        if not isinstance(event, dict) or event.get("channel") != self.channel:
            return await next()
        if event.get("type") == "message":
            event_id = str(body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}")
            self.inflight.spawn(self._on_message(event, context.get("bot_user_id"), event_id))
        return BoltResponse(status=200, body="")  # staff-channel events never reach customers

    async def _on_message(self, event: dict[str, Any], bot: str | None, event_id: str) -> None:
        # names of the people a reply mentions, so the customer reads "@Ana", not "<@U123>"
        names = {}
        for user in set(mentioned_users(str(event.get("text") or ""))):
            names[user] = await user_name(self.client, user) or user
        msg = staff_message_to_ours(event, self.channel, bot, event_id, names)
        if msg is not None and await self.dedupe.first_or_assume(msg.delivery_key):
            await self.staff.on_staff_message(msg)

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        staff_action = staff_action_to_ours(body, action)
        if staff_action is not None and await self.dedupe.first_or_assume(
            staff_action.delivery_key
        ):
            await self.staff.on_staff_action(staff_action)
