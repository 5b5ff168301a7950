"""Console channel (``python -m bot chat``): a full channel, in a terminal. Its process runs
the whole gateway pipeline and fires the console's own timers (the idle survey, the handoff's
message offer, replays, replies from the terminal staff desk), so everything recorded for the
customer is printed here. Its cases and timers live in their own database (``console_db_url``),
which the `make run` gateway never reads.

Buttons are shown as numbered choices; typing the number sends the button's payload.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from bot.channels.console.mailbox import replies_in
from bot.channels.plumbing import Receive, press_message
from bot.messages import Address, BotReply, IncomingMessage
from bot.state.timer_store import Timer


@dataclass(frozen=True)
class ConsolePress:
    address: Address
    payload: str
    delivery_key: str


class ConsoleChannel:
    """Both directions of the terminal: its outbound prints, :meth:`run` reads lines."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.choices: list[tuple[str, str]] = []  # (title, payload) of the last buttons shown

    async def deliver(self, address: Address, replies: Sequence[BotReply]) -> None:
        for reply in replies:
            if reply.text:
                self._print("bot> " + reply.text.replace("\n", "\n     "))
            if reply.image:
                self._print(f"bot> [image] {reply.image}")
            if reply.custom:
                self._print(f"bot> [custom] {dict(reply.custom)}")
            if reply.buttons:
                self.choices = [(b.title, b.payload) for b in reply.buttons]
                for i, (title, _) in enumerate(self.choices, start=1):
                    self._print(f"     {i}. {title}")

    async def display_name(self, address: Address) -> str | None:
        return address.user_id  # the terminal user is whoever runs `make chat`

    async def from_mailbox(self, timer: Timer) -> None:
        """A reply left by another process (the terminal staff desk): print it here."""
        address, replies = replies_in(timer)
        await self.deliver(address, replies)

    def to_ours(self, line: str, address: Address, session: str, n: int) -> IncomingMessage | None:
        text = line.strip()
        if not text:
            return None
        key = f"console:{session}:{n}"
        if text.isdigit() and 1 <= int(text) <= len(self.choices):
            title, payload = self.choices[int(text) - 1]
            self._print(f"     (you chose: {title})")
            self.choices = []
            return press_message(ConsolePress(address, payload, key))
        return IncomingMessage(address=address, text=text, delivery_key=key)

    async def run(
        self, receive: Receive, lines: TextIO | None = None, user: str | None = None
    ) -> None:
        """Read lines until EOF (Ctrl-D) or ``/quit``; each goes through the pipeline."""
        source = lines or sys.stdin
        user = user or getpass.getuser()
        address = Address("console", user, user)
        session = uuid.uuid4().hex[:8]
        self._print("Type a message (Ctrl-D or /quit to leave). Numbers pick a button.")
        n = 0
        while True:
            line = await asyncio.to_thread(source.readline)
            if not line or line.strip() == "/quit":
                return
            n += 1
            msg = self.to_ours(line, address, session, n)
            if msg is not None:
                await receive(msg)

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)
