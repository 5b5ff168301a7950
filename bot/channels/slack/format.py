"""Pure translation between Slack events and the gateway's values (no I/O here).

*To ours*: a customer's message reaches the engine as typed (``bot.channels.slack.markup``).
*To theirs*: every limit of Block Kit holds whatever the engine sends: sections of at most 3,000
characters once escaped, at most 50 blocks per message, button values never cut (a payload too
long for Slack is sent as the button's title, like a typed answer), no button without a value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.channels.slack.markup import fit, slack_to_plain
from bot.messages import Address, BotReply, Button, IncomingMessage
from bot.text import markdown_to_slack_mrkdwn, split_text
from contract import parse_survey_payload

BUTTON_ACTION = re.compile(r"^rasa_button_\d+$")
BUTTONS_PER_ROW = 5  # Slack shows an actions block as one wrapping row; 5 keeps rows tidy
SECTION_LIMIT = 3000  # characters of text in one section block
SECTIONS_PER_MESSAGE = 10
BLOCKS_PER_MESSAGE = 50  # Slack refuses more
VALUE_LIMIT = 2000  # characters of a button's value
TITLE_LIMIT = 75  # characters of a button's text
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
    text = " ".join(slack_to_plain(text).split())
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
    sections = [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
        for chunk in mrkdwn_chunks(reply.text or "")
    ]
    tail: list[dict[str, Any]] = []
    if reply.image:
        tail.append({"type": "image", "image_url": reply.image, "alt_text": "image"})
    tail.extend(button_blocks(reply))
    step = SECTIONS_PER_MESSAGE
    groups = [sections[i : i + step] for i in range(0, len(sections), step)]
    groups = groups or [[]]
    while tail:  # buttons after the text, spilling into more messages past 50 blocks
        room = BLOCKS_PER_MESSAGE - len(groups[-1])
        if room <= 0:
            groups.append([])
            continue
        groups[-1] = groups[-1] + tail[:room]
        tail = tail[room:]
    return [{"blocks": blocks, "text": _fallback(blocks, reply)} for blocks in groups if blocks]


def mrkdwn_chunks(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """The text as section texts of at most ``limit`` characters after escaping."""
    chunks: list[str] = []
    for raw in split_text(text, limit) if text else []:
        converted = markdown_to_slack_mrkdwn(raw)
        if len(converted) <= limit:
            chunks.append(converted)
        else:  # escaping made it longer: split this part finer
            chunks.extend(_finer(raw, limit))
    return [c for c in chunks if c.strip()]


def _finer(raw: str, limit: int) -> list[str]:
    out: list[str] = []
    for part in split_text(raw, max(1, len(raw) // 2)):
        converted = markdown_to_slack_mrkdwn(part)
        out.extend([converted] if len(converted) <= limit else _finer(part, limit))
    return out


def usable_buttons(buttons: tuple[Button, ...]) -> list[tuple[str, str]]:
    """``(title, value)`` of the buttons Slack can carry: a value too long is replaced by the
    title (understood like a typed answer), never cut; a button with neither is left out."""
    usable: list[tuple[str, str]] = []
    for button in buttons:
        title = (button.title or button.payload).strip()[:TITLE_LIMIT] or "…"
        value = button.payload if len(button.payload) <= VALUE_LIMIT else button.title
        if value and len(value) <= VALUE_LIMIT:
            usable.append((title, value))
    return usable


def _per_row(buttons: tuple[Button, ...], usable: int) -> int:
    """Five buttons a row, except a long survey scale (NPS 0-10): two even rows, 0-5 and 6-10,
    rather than five, five and a lonely 10."""
    metrics = {(parse_survey_payload(b.payload) or ("", 0))[0] for b in buttons}
    if usable > 2 * BUTTONS_PER_ROW and len(metrics) == 1 and "" not in metrics:
        return (usable + 1) // 2
    return BUTTONS_PER_ROW


def button_blocks(reply: BotReply) -> list[dict[str, Any]]:
    """Buttons in rows of five (a long survey scale in two rows); action ids are unique within
    the message."""
    buttons = usable_buttons(reply.buttons)
    per_row = _per_row(reply.buttons, len(buttons))
    blocks = []
    for row in range(0, len(buttons), per_row):
        elements = [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": title, "emoji": True},
                "value": value,
                "action_id": f"rasa_button_{row + i}",
            }
            for i, (title, value) in enumerate(buttons[row : row + per_row])
        ]
        blocks.append(
            {
                "type": "actions",
                "block_id": f"rasa_buttons_{row // per_row}",
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
    for block in blocks:
        if block["type"] == "section":
            return str(block["text"]["text"])
    if reply.buttons:
        return fit("Please choose: " + ", ".join(b.title for b in reply.buttons), SECTION_LIMIT)
    return "image" if reply.image else ""
