"""The fake Telegram Bot API of `make bench-chaos`: what each chat was sent, with the message
ids and keyboards a customer taps on."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from tests.bot.fakes import FakeTelegram

Message = dict[str, Any]


class RecordingTelegram(FakeTelegram):
    def __init__(self) -> None:
        super().__init__()
        self.chats: dict[int, list[Message]] = {}

    def result(self, method: str, p: dict[str, Any]) -> Any:
        out = super().result(method, p)
        if method == "sendMessage":
            markup = p.get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup)
            message = {**out, "text": str(p.get("text", "")), "_at": time.monotonic()}
            if markup:
                message["reply_markup"] = markup
            self.chats.setdefault(int(p["chat_id"]), []).append(message)
        return out

    def count(self, chat: int) -> int:
        return len(self.chats.get(chat, []))

    def sent(self, chat: int) -> list[Message]:
        return self.chats.get(chat, [])

    @staticmethod
    def payloads(message: Message) -> list[str]:
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        return [str(b.get("callback_data", "")) for row in rows for b in row]

    def transcript(self, chat: int, said: list[tuple[float, str]], t0: float) -> str:
        """What the customer sent and what the chat was sent, in time order."""
        lines = [(at, f"customer: {text}") for at, text in said]
        lines += [(m["_at"], f"bot:      {m['text'][:70]!r}") for m in self.sent(chat)]
        return "\n".join(f"{at - t0:7.1f} s  {line}" for at, line in sorted(lines))

    async def wait_for(
        self, chat: int, seen: int, test: Callable[[Message], bool], seconds: float
    ) -> Message | None:
        """The first message to ``chat`` after the first ``seen`` that passes ``test``."""
        deadline = time.monotonic() + seconds
        while True:
            for message in self.sent(chat)[seen:]:
                if test(message):
                    return message
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.1)
