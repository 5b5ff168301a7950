"""Detractor alerts in Slack: :class:`SlackAlertDesk` posts and updates the cards in the CX
alerts channel (``bot.alerts.desk.AlertDesk``); :class:`SlackAlertListener` hands a press of
Follow up (same ``/webhooks/slack`` URL, same signature check) to ``bot.alerts.FollowUps``."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.follow_up import FollowUps
from bot.alerts.values import Alert
from bot.channels.plumbing import Dedupe, InFlight
from bot.channels.slack.alert_format import (
    FOLLOW_UP_ACTION,
    alert_blocks,
    alert_text,
    follow_up_to_ours,
)
from bot.channels.slack.markup import fit
from bot.channels.slack.staff_format import SECTION_CHARS


class SlackAlertDesk:
    """Construction does no I/O."""

    def __init__(self, client: AsyncWebClient, channel: str) -> None:
        self.client = client
        self._channel = channel

    @property
    def channel(self) -> str:
        return self._channel

    async def post_alert(self, alert: Alert) -> str:
        response = await self.client.chat_postMessage(
            channel=self._channel,
            text=alert_text(alert),
            blocks=alert_blocks(alert),
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    async def update_alert(self, channel: str, card_ts: str, alert: Alert) -> None:
        await self.client.chat_update(
            channel=channel, ts=card_ts, text=alert_text(alert), blocks=alert_blocks(alert)
        )

    async def tell(self, channel: str, user_id: str, text: str) -> None:
        await self.client.chat_postEphemeral(
            channel=channel, user=user_id, text=fit(text, SECTION_CHARS)
        )


class SlackAlertListener:
    """Follow up presses in, to :class:`FollowUps`."""

    def __init__(self, app: AsyncApp, follow_ups: FollowUps, dedupe: Dedupe) -> None:
        self.follow_ups = follow_ups
        self.dedupe = dedupe
        self.inflight = InFlight("detractor alert buttons")
        app.action(FOLLOW_UP_ACTION)(self.inflight.tracked(self._on_action))

    async def stop(self) -> None:
        await self.inflight.drain(timeout=10)

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        press = follow_up_to_ours(body, action)
        if press is not None and await self.dedupe.first_or_assume(press.delivery_key):
            await self.follow_ups.on_press(press)
