"""Replies out to the customer's platform: one :class:`Outbound` per channel, fixed when the
app is built, and one failure policy: a reply that cannot be delivered is logged and counted."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.counters import GatewayCounters
from bot.errors import DeliveryFailed
from bot.messages import Address, BotReply

log = logging.getLogger(__name__)


class Outbound(Protocol):
    """What a channel adapter offers for sending: replies, and the customer's display name."""

    async def deliver(self, address: Address, replies: Sequence[BotReply]) -> None:
        """Send every reply, retrying as the platform asks; raise DeliveryFailed otherwise."""

    async def display_name(self, address: Address) -> str | None:
        """The customer's name as the platform shows it, or None."""


class Delivery:
    """Routes replies to the outbound of the address's channel. Construction does no I/O."""

    def __init__(self, outbounds: Mapping[str, Outbound], stats: GatewayCounters) -> None:
        self.outbounds = dict(outbounds)
        self.stats = stats

    async def deliver(self, address: Address, replies: Sequence[BotReply]) -> bool:
        """True when every reply went out (or there was none)."""
        if not replies:
            return True
        outbound = self.outbounds.get(address.channel)
        if outbound is None:
            log.error(
                "no outbound for channel %s: %d replies undeliverable",
                address.channel,
                len(replies),
            )
            self.stats.delivery_failed.inc()
            return False
        try:
            await outbound.deliver(address, replies)
        except DeliveryFailed as exc:
            log.error(
                "undeliverable reply on %s (chat %s): %s", address.channel, address.chat_id, exc
            )
            self.stats.delivery_failed.inc()
            return False
        self.stats.replies_delivered.inc(len(replies))
        return True

    async def display_name(self, address: Address) -> str | None:
        outbound = self.outbounds.get(address.channel)
        if outbound is None:
            return None
        try:
            return await outbound.display_name(address)
        except Exception:
            log.warning("no display name for a %s customer", address.channel)
            return None
