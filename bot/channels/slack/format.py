"""Pure translation between Slack events and the gateway's values (no I/O here)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.messages import Address, BotReply, IncomingMessage
from bot.text import markdown_to_slack_mrkdwn, split_text

BUTTON_ACTION = re.compile(r"^rasa_button_\d+$")
BUTTONS_PER_ROW = 5  # Slack shows an actions block as one wrapping row; 5 keeps rows tidy
SECTION_LIMIT = 3000  # characters of text in one section block
SECTIONS_PER_MESSAGE = 10
_MENTION = re.compile(r"<@[A-Z0-9]+>")


@dataclass(frozen=True)
class SlackPress:
    """A tap on one of our Block Kit buttons."""

    address: Address
    payload: str
    title: str
    message_ts: str | None
    blocks: tuple[Mapping[str, Any], ...]
    text: str
    delivery_key: str


def to_ours(
    event: Mapping[str, Any], bot_user_id: str | None, event_id: str
) -> IncomingMessage | None:
    """A customer message, or ``None`` for anything we must not answer (bots, edits, chatter)."""
    kind = event.get("type")
    if event.get("bot_id") or event.get("subtype") or not event.get("user"):
        return None  # bots (us included), message_changed / message_deleted / joins ...
    if bot_user_id and event.get("user") == bot_user_id:
        return None
    text = str(event.get("text") or "")
    channel = str(event.get("channel") or "")
    if kind == "message":
        if event.get("channel_type") != "im":
            return None  # in channels we answer mentions only (they come as app_mention)
        address = Address("slack", channel, str(event["user"]), thread_ts=event.get("thread_ts"))
    elif kind == "app_mention":
        address = Address(
            "slack",
            channel,
            str(event["user"]),
            thread_ts=str(event.get("thread_ts") or event.get("ts")),
            shared_chat=True,
        )
        text = _MENTION.sub(" ", text)
    else:
        return None
    text = " ".join(text.split())
    if not text:
        return None
    return IncomingMessage(address=address, text=text, delivery_key=f"slack:event:{event_id}")


def press_to_ours(body: Mapping[str, Any], action: Mapping[str, Any]) -> SlackPress:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    message = body.get("message") or {}
    user = (body.get("user") or {}).get("id", "")
    container = body.get("container") or {}
    shared = not str(channel or "").startswith("D")
    return SlackPress(
        address=Address(
            "slack", str(channel), str(user), thread_ts=message.get("thread_ts"), shared_chat=shared
        ),
        payload=str(action.get("value") or ""),
        title=str((action.get("text") or {}).get("text") or action.get("value") or ""),
        message_ts=container.get("message_ts") or message.get("ts"),
        blocks=tuple(message.get("blocks") or ()),
        text=str(message.get("text") or ""),
        delivery_key=f"slack:action:{user}:{action.get('action_ts') or body.get('trigger_id')}",
    )


def to_theirs(reply: BotReply) -> list[dict[str, Any]]:
    """``chat.postMessage`` arguments (without channel/thread) for one engine message."""
    if reply.custom:
        return [dict(reply.custom)]  # custom payloads pass through (blocks, attachments, ...)
    sections: list[dict[str, Any]] = []
    if reply.text:
        for chunk in split_text(reply.text, SECTION_LIMIT):
            sections.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": markdown_to_slack_mrkdwn(chunk)},
                }
            )
    tail: list[dict[str, Any]] = []
    if reply.image:
        tail.append({"type": "image", "image_url": reply.image, "alt_text": "image"})
    tail.extend(button_blocks(reply))
    messages: list[dict[str, Any]] = []
    for i in range(0, max(len(sections), 1), SECTIONS_PER_MESSAGE):
        blocks = sections[i : i + SECTIONS_PER_MESSAGE]
        messages.append({"blocks": blocks, "text": _fallback(blocks, reply)})
    messages[-1]["blocks"] = messages[-1]["blocks"] + tail
    if not messages[-1]["blocks"]:
        return []
    return messages


def button_blocks(reply: BotReply) -> list[dict[str, Any]]:
    """Buttons in rows of five; action ids are unique within the message."""
    blocks = []
    for row in range(0, len(reply.buttons), BUTTONS_PER_ROW):
        elements = [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": (b.title or "…")[:75], "emoji": True},
                "value": b.payload[:2000],
                "action_id": f"rasa_button_{row + i}",
            }
            for i, b in enumerate(reply.buttons[row : row + BUTTONS_PER_ROW])
        ]
        blocks.append(
            {
                "type": "actions",
                "block_id": f"rasa_buttons_{row // BUTTONS_PER_ROW}",
                "elements": elements,
            }
        )
    return blocks


def chosen_blocks(press: SlackPress) -> list[dict[str, Any]]:
    """The pressed message with its buttons replaced by the choice made."""
    kept = [
        dict(b) for b in press.blocks if not str(b.get("block_id", "")).startswith("rasa_buttons_")
    ]
    title = markdown_to_slack_mrkdwn(press.title)
    kept.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"✓ You chose *{title}*"}]}
    )
    return kept


def _fallback(blocks: list[dict[str, Any]], reply: BotReply) -> str:
    """Notification text (Slack requires ``text`` next to ``blocks``)."""
    if blocks:
        return str(blocks[0]["text"]["text"])[:SECTION_LIMIT]
    if reply.buttons:
        return "Please choose: " + ", ".join(b.title for b in reply.buttons)
    return "image" if reply.image else ""
