"""Typed values that cross the boundary between the channel adapters and the gateway core.

Adapters turn platform updates into these ("to ours") and render :class:`BotReply` back
("to theirs"); the core never sees a Telegram or Slack object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contract import sender_id, utcnow


@dataclass(frozen=True)
class Address:
    """Where a customer can be reached: enough to deliver a reply later, e.g. from a timer."""

    channel: str  # "telegram" | "slack" | "console"
    chat_id: str  # Telegram chat id, Slack channel id (D... for DMs)
    user_id: str  # the raw platform user id
    thread_ts: str | None = None  # Slack: answer in this thread
    shared_chat: bool = False  # Telegram group / Slack channel: several customers in one chat

    @property
    def sender_id(self) -> str:
        """The engine's ``sender_id`` of this customer (``contract.sender_id``)."""
        return sender_id(self.channel, self.chat_id, self.user_id, self.shared_chat)

    def to_payload(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "chat_id": self.chat_id,
            "user_id": self.user_id,
            "thread_ts": self.thread_ts,
            "shared_chat": self.shared_chat,
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Address:
        return cls(
            channel=str(data["channel"]),
            chat_id=str(data["chat_id"]),
            user_id=str(data["user_id"]),
            thread_ts=data.get("thread_ts"),
            shared_chat=bool(data.get("shared_chat", False)),
        )


@dataclass(frozen=True)
class IncomingMessage:
    """One customer message, normalised. ``delivery_key`` identifies the platform delivery."""

    address: Address
    text: str
    delivery_key: str
    locale: str = "en"
    received_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class BotReply:
    """One engine message (REST channel shape): text, buttons, image and/or a custom payload."""

    text: str | None = None
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: Mapping[str, Any] | None = None

    @classmethod
    def from_rasa(cls, data: Mapping[str, Any]) -> BotReply:
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", b.get("title", ""))))
            for b in data.get("buttons") or ()
            if isinstance(b, Mapping)
        )
        custom = data.get("custom")
        return cls(
            text=data.get("text") if isinstance(data.get("text"), str) else None,
            buttons=buttons,
            image=data.get("image") if isinstance(data.get("image"), str) else None,
            custom=custom if isinstance(custom, Mapping) else None,
        )


def text_reply(text: str) -> BotReply:
    return BotReply(text=text)


APOLOGY = "We're having trouble right now, please try again in a minute."
# A second tap on buttons already answered (the survey says the same: survey.yml).
ALREADY_ANSWERED = "Already got it, thanks!"
ONLY_TEXT = "I can only read text for now. Please type your question."
HELP_TEXT = (
    "I'm the shop's support assistant. Ask me about your orders (track, change, cancel), "
    "delivery options and times, or your shipping address. Tap a button when I offer choices, "
    'or just type. Say "agent" at any time to talk to a person.'
)


@dataclass(frozen=True)
class LocalReply:
    """An answer the gateway gives itself, without the engine (``/help``, a photo, ...)."""

    address: Address
    replies: tuple[BotReply, ...]
