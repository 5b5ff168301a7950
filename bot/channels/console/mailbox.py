"""Replies to a console customer from another process: the terminal staff desk
(``python -m bot staff``) answers a customer whose terminal belongs to ``python -m bot chat``.

The staff process leaves each delivery as a timer in the database the two share (kind
``console:<id>``, due at once); the chat process's timer loop fires it and prints it. The
database holds it until then, so a reply is never lost between the two processes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from bot.messages import Address, BotReply, Button
from bot.state.timer_store import Timer, TimerStore

MAILBOX_TIMER_PREFIX = "console:"


class ConsoleMailbox:
    """The ``console`` outbound of a process that has no console of its own."""

    def __init__(self, timers: TimerStore, clock: Callable[[], datetime]) -> None:
        self.timers = timers
        self.clock = clock

    async def deliver(self, address: Address, replies: Sequence[BotReply]) -> None:
        payload = {
            "address": address.to_payload(),
            "replies": [_reply_payload(r) for r in replies],
            "received_at": self.clock().isoformat(),  # the timer loop fires them in this order
        }
        kind = f"{MAILBOX_TIMER_PREFIX}{uuid.uuid4().hex}"
        await asyncio.to_thread(
            self.timers.schedule, kind, address.sender_id, self.clock(), payload
        )

    async def display_name(self, address: Address) -> str | None:
        return None


def replies_in(timer: Timer) -> tuple[Address, list[BotReply]]:
    """What a mailbox timer carries."""
    address = Address.from_payload(timer.payload["address"])
    replies = [
        BotReply(
            text=r.get("text"),
            buttons=tuple(Button(**b) for b in r.get("buttons") or ()),
            image=r.get("image"),
        )
        for r in timer.payload.get("replies") or ()
    ]
    return address, replies


def _reply_payload(reply: BotReply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "buttons": [asdict(b) for b in reply.buttons],
        "image": reply.image,
    }
