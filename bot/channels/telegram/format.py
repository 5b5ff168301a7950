"""Pure translation between Telegram updates and the gateway's values (no I/O here).

*To ours*: :func:`to_ours` turns an ``Update`` into an :class:`IncomingMessage`, a
:class:`LocalReply`, a :class:`ButtonPress`, or ``None`` (ignore).
*To theirs*: :func:`to_theirs` turns a :class:`BotReply` into Bot API calls.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageEntityType, MessageLimit, ParseMode

from bot.messages import (
    HELP_TEXT,
    ONLY_TEXT,
    Address,
    BotReply,
    Button,
    IncomingMessage,
    LocalReply,
)
from bot.text import markdown_to_telegram_html, split_text
from contract import parse_survey_payload

log = logging.getLogger(__name__)

CALLBACK_DATA_LIMIT = 64  # bytes, Bot API limit for callback_data
BUTTONS_PER_ROW = 8  # Bot API limit for one row of an inline keyboard
TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096
GROUP_TYPES = ("group", "supergroup")
NON_TEXT = (
    "photo", "sticker", "voice", "audio", "video", "video_note", "animation", "document",
    "location", "venue", "contact", "poll", "dice",
)  # fmt: skip


@dataclass(frozen=True)
class ButtonPress:
    """A tap on one of our inline buttons (``callback_query``)."""

    address: Address
    callback_query_id: str
    payload: str
    title: str
    message_id: int | None
    message_html: str | None  # the text of the message the keyboard was on, as HTML
    delivery_key: str


@dataclass(frozen=True)
class TelegramCall:
    """One Bot API call, e.g. ``TelegramCall("send_message", {"text": ...})``."""

    method: str
    kwargs: dict[str, Any] = field(default_factory=dict)


Inbound = IncomingMessage | LocalReply | ButtonPress | None


def to_ours(update: Update, bot_username: str | None, start_text: str = "/greet") -> Inbound:
    """Normalise one update; ``None`` means "not for us" (group chatter, service messages)."""
    key = f"telegram:update:{update.update_id}"
    if update.callback_query is not None:
        return _press(update, key)
    msg = update.message or update.edited_message
    if msg is None or msg.chat is None or msg.from_user is None or msg.from_user.is_bot:
        return None
    group = msg.chat.type in GROUP_TYPES
    address = Address(
        channel="telegram",
        chat_id=str(msg.chat.id),
        user_id=str(msg.from_user.id),
        shared_chat=group,
    )
    locale = (msg.from_user.language_code or "en").split("-")[0]
    text = msg.text or ""
    if group and not _addressed(msg, bot_username):
        return None
    if not text:
        if any(getattr(msg, kind, None) for kind in NON_TEXT):
            return LocalReply(address, (BotReply(text=ONLY_TEXT),))
        return None  # joins, pins, title changes...
    text = _strip_mention(text, bot_username).strip()
    command = text.split(maxsplit=1)[0].split("@")[0].lower() if text.startswith("/") else ""
    if command == "/help":
        return LocalReply(address, (BotReply(text=HELP_TEXT),))
    if command == "/start":
        text = start_text
    if not text:
        return None
    return IncomingMessage(address=address, text=text, delivery_key=key, locale=locale)


def _addressed(msg: Message, bot_username: str | None) -> bool:
    """In a group we answer only when mentioned, replied to, or commanded by name."""
    if not bot_username:
        return False
    name = bot_username.lower()
    reply = msg.reply_to_message
    if (
        reply is not None
        and reply.from_user is not None
        and (reply.from_user.username or "").lower() == name
    ):
        return True
    entities = msg.parse_entities() if msg.text else msg.parse_caption_entities()
    for entity, value in entities.items():
        if entity.type == MessageEntityType.MENTION and value[1:].lower() == name:
            return True
        if entity.type == MessageEntityType.BOT_COMMAND and value.lower().endswith("@" + name):
            return True
    return False


def _strip_mention(text: str, bot_username: str | None) -> str:
    if not bot_username:
        return text
    for form in (f"@{bot_username}", f"@{bot_username.lower()}"):
        text = text.replace(form, " ")
    return " ".join(text.split()) if text.strip() else ""


def _press(update: Update, key: str) -> ButtonPress | None:
    query = update.callback_query
    assert query is not None
    msg = query.message if isinstance(query.message, Message) else None
    chat_id = str(msg.chat.id) if msg is not None else str(query.from_user.id)
    payload = query.data or ""
    title = payload
    if msg is not None and msg.reply_markup is not None:
        for row in msg.reply_markup.inline_keyboard:
            for button in row:
                if button.callback_data == payload:
                    title = button.text
    html: str | None = None
    if msg is not None:
        try:
            html = msg.text_html if msg.text else None
        except Exception:  # unusual entities: fall back to not re-rendering the text
            html = None
    return ButtonPress(
        address=Address(
            channel="telegram",
            chat_id=chat_id,
            user_id=str(query.from_user.id),
            shared_chat=msg is not None and msg.chat.type in GROUP_TYPES,
        ),
        callback_query_id=query.id,
        payload=payload,
        title=title,
        message_id=msg.message_id if msg is not None else None,
        message_html=html,
        delivery_key=key,
    )


def to_theirs(reply: BotReply) -> list[TelegramCall]:
    """Bot API calls for one engine message: text (split at 4096), keyboard, photo, custom."""
    calls: list[TelegramCall] = []
    keyboard = keyboard_for(reply)
    if reply.text:
        chunks = split_text(reply.text, TEXT_LIMIT)
        for i, chunk in enumerate(chunks):
            kwargs: dict[str, Any] = {
                "text": markdown_to_telegram_html(chunk),
                "parse_mode": ParseMode.HTML,
            }
            if keyboard is not None and i == len(chunks) - 1 and not reply.image:
                kwargs["reply_markup"] = keyboard
            calls.append(TelegramCall("send_message", kwargs))
    if reply.image:
        kwargs = {"photo": reply.image}
        if keyboard is not None:
            kwargs["reply_markup"] = keyboard
        calls.append(TelegramCall("send_photo", kwargs))
    elif keyboard is not None and not reply.text:
        calls.append(
            TelegramCall("send_message", {"text": "Please choose:", "reply_markup": keyboard})
        )
    if reply.custom:
        calls.append(custom_call(reply.custom))
    return calls


def custom_call(custom: Any) -> TelegramCall:
    """A custom payload passes through: ``{"method": "sendPoll", ...}`` (default sendMessage)."""
    params = dict(custom)
    method = str(params.pop("method", "sendMessage"))
    return TelegramCall("do_api_request", {"endpoint": method, "api_kwargs": params})


def keyboard_for(reply: BotReply) -> InlineKeyboardMarkup | None:
    """One button per row (titles stay readable on phones), except a survey question's scale:
    its numbers in one compact row, or two for a long one like NPS 0-10 (the question names the
    ends of the scale)."""
    buttons = usable_buttons(reply.buttons)
    if not buttons:
        return None
    if is_scale(reply.buttons) and len(buttons) <= 2 * BUTTONS_PER_ROW:
        numbers = [
            InlineKeyboardButton(title.split(" · ", 1)[0], callback_data=data)
            for title, data in buttons
        ]
        if len(numbers) <= BUTTONS_PER_ROW:
            return InlineKeyboardMarkup([numbers])
        half = (len(numbers) + 1) // 2  # NPS 0-10: 0-5 over 6-10
        return InlineKeyboardMarkup([numbers[:half], numbers[half:]])
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(title, callback_data=data)] for title, data in buttons]
    )


def is_scale(buttons: tuple[Button, ...]) -> bool:
    """The buttons of one survey question (``csat:1`` ... ``csat:5``)."""
    parsed = [parse_survey_payload(b.payload) for b in buttons]
    return (
        bool(parsed)
        and all(p is not None for p in parsed)
        and len({p[0] for p in parsed if p}) == 1
    )


def usable_buttons(buttons: tuple[Button, ...]) -> list[tuple[str, str]]:
    """``(title, callback_data)`` for every button Telegram can carry: callback data is never
    empty, never repeated within a keyboard and never a payload cut short."""
    usable: list[tuple[str, str]] = []
    seen: set[str] = set()
    for button in buttons:
        data = callback_data(button.payload, button.title)
        if not data or data in seen:
            log.warning("leaving out a button Telegram cannot carry: %r", button.title[:40])
            continue
        seen.add(data)
        usable.append((_clip(button.title.strip() or data, 64) or "…", data))
    return usable


def callback_data(payload: str, title: str) -> str:
    """Telegram caps ``callback_data`` at 64 bytes. A longer payload cannot be carried without
    a key-value table (not in the telemetry contract yet), so we send the title instead, which
    the engine's NLU understands as a typed answer, and say so in the log. Empty when neither
    fits or when the title would read as a payload ("/..."): a payload is never cut (half a JSON
    object would mean something else)."""
    if 0 < len(payload.encode()) <= CALLBACK_DATA_LIMIT:
        return payload
    if payload:
        log.warning(
            "button payload of %d bytes exceeds Telegram's 64; sending its title",
            len(payload.encode()),
        )
    fallback = _clip(title.strip(), CALLBACK_DATA_LIMIT)
    if fallback.startswith("/"):
        return ""  # the engine would read a title starting with "/" as an intent payload
    return "" if payload and payload.startswith(fallback) else fallback


def _clip(text: str, limit: int) -> str:
    """At most ``limit`` bytes of UTF-8, cut between characters."""
    return text.encode()[:limit].decode(errors="ignore")
