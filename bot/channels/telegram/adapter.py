"""Telegram, inbound: the thin handler around :mod:`bot.channels.telegram.format`.

Webhook mode (``POST /webhooks/telegram``, secret header checked in constant time) or, with
``TELEGRAM_MODE=polling``, a ``getUpdates`` loop for people without a public URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.channels.plumbing import Dedupe, Receive, press_message
from bot.channels.telegram.format import ButtonPress, to_ours
from bot.channels.telegram.outbound import TelegramOutbound
from bot.delivery import Delivery
from bot.http import BadRequestBody, ok, parse_json_object, read_body, same_secret
from bot.inbox import Inbox
from bot.messages import ALREADY_ANSWERED, IncomingMessage, LocalReply

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


class TelegramChannel:
    """Receives updates and hands them to the pipeline. No I/O until :meth:`start`."""

    def __init__(
        self,
        outbound: TelegramOutbound,
        receive: Receive,
        delivery: Delivery,
        dedupe: Dedupe,
        inbox: Inbox,
        webhook_secret: str | None,
        mode: str,
        start_text: str,
        max_body_bytes: int,
    ) -> None:
        self.outbound = outbound
        self.bot = outbound.bot
        self.receive = receive
        self.delivery = delivery
        self.dedupe = dedupe
        self.inbox = inbox
        self.webhook_secret = webhook_secret
        self.mode = mode
        self.start_text = start_text
        self.max_body_bytes = max_body_bytes
        self.username: str | None = None
        self._polling: asyncio.Task[None] | None = None
        self._identifying: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # getMe tells us our username (to know when a group addresses us). Telegram being
        # unreachable must not stop the gateway: keep trying in the background.
        if not await self._identify():
            self._identifying = asyncio.create_task(self._identify_later())
        if self.mode == "polling":
            await self.bot.delete_webhook()
            self._polling = asyncio.create_task(self._poll(), name="telegram-polling")

    async def _identify(self) -> bool:
        try:
            await self.bot.initialize()
        except TelegramError as exc:
            log.error("Telegram getMe failed (is TELEGRAM_BOT_TOKEN right?): %s", exc)
            return False
        self.username = self.bot.username
        return True

    async def _identify_later(self) -> None:
        delay = 1.0
        while not await self._identify():
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)

    async def stop(self) -> None:
        for task in (self._identifying, self._polling):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.inbox.drain(timeout=10)
        with contextlib.suppress(TelegramError):
            await self.bot.shutdown()

    async def set_webhook(self, url: str) -> bool:
        return await self.bot.set_webhook(
            url, secret_token=self.webhook_secret, allowed_updates=ALLOWED_UPDATES
        )

    async def webhook(self, request: Request) -> Response:
        if not same_secret(request.headers.get(SECRET_HEADER), self.webhook_secret):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = parse_json_object(await read_body(request, self.max_body_bytes))
            update = Update.de_json(data, self.bot)
        except BadRequestBody as exc:
            return exc.response
        except Exception:  # valid JSON that is not an Update
            return PlainTextResponse("not a Telegram update", status_code=400)
        # The update is in the database (with its dedupe key) before Telegram hears 200; the
        # work then runs in a task of the inbox, so Telegram's next update is not held up.
        try:
            await self.inbox.accept(
                f"telegram:update:{update.update_id}",
                "telegram",
                conversation_key(update),
                data,
                self.handle,
            )
        except Exception:
            log.exception("inbox unavailable; asking Telegram to redeliver")
            return PlainTextResponse("try again", status_code=503)
        return ok()

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the updates in progress (shutdown, tests)."""
        await self.inbox.drain(timeout)

    async def handle(self, payload: dict[str, Any]) -> None:
        """An update from the inbox (the JSON Telegram sent). Never raises."""
        try:
            update = Update.de_json(payload, self.bot)
        except Exception:
            log.exception("an inbox row is not a Telegram update; dropping it")
            return
        await self.process(update)

    async def process(self, update: Update) -> None:
        """Handle one (already deduplicated) update. Never raises."""
        try:
            inbound = to_ours(update, self.username, self.start_text)
            if isinstance(inbound, IncomingMessage):
                await self.receive(inbound)
            elif isinstance(inbound, LocalReply):
                await self.delivery.deliver(inbound.address, inbound.replies)
            elif isinstance(inbound, ButtonPress):
                await self._press(inbound)
        except Exception:
            log.exception("failed to process Telegram update %s", update.update_id)

    async def _press(self, press: ButtonPress) -> None:
        chat_id = int(press.address.chat_id)
        # A keyboard is answered once: a second tap (a double tap, an old message) only hears so.
        # The tap that claimed it stays the first when another gateway resumes its inbox row.
        keyboard = f"telegram:keyboard:{chat_id}:{press.message_id}"
        if press.message_id is not None and not await self.dedupe.first_or_assume(
            keyboard, claimant=press.delivery_key
        ):
            await self.outbound.best_effort(
                "answer_callback_query",
                {"callback_query_id": press.callback_query_id, "text": ALREADY_ANSWERED},
            )
            return
        # Always answer, so the spinner on the customer's button stops.
        await self.outbound.best_effort(
            "answer_callback_query", {"callback_query_id": press.callback_query_id}
        )
        if press.message_id is not None:
            ids = {"chat_id": chat_id, "message_id": press.message_id}
            await self.outbound.best_effort(
                "edit_message_reply_markup", {**ids, "reply_markup": None}
            )
            if press.message_html:
                text = f"{press.message_html}\n\n✓ <b>{escape(press.title, quote=False)}</b>"
                await self.outbound.best_effort(
                    "edit_message_text", {**ids, "text": text, "parse_mode": ParseMode.HTML}
                )
        msg = press_message(press)
        if msg is not None:
            await self.receive(msg)

    async def _poll(self) -> None:
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=25, allowed_updates=ALLOWED_UPDATES
                )
            except asyncio.CancelledError:
                raise
            except TelegramError as exc:
                log.warning("getUpdates failed: %s", exc)
                await asyncio.sleep(2)
                continue
            for update in updates:
                # Into the inbox first, as in webhook mode; the offset (Telegram's "delivered")
                # moves past an update only once it is there.
                try:
                    await self.inbox.accept(
                        f"telegram:update:{update.update_id}",
                        "telegram",
                        conversation_key(update),
                        update.to_dict(),
                        self.handle,
                    )
                except Exception:
                    log.warning("inbox unavailable; fetching update %s again", update.update_id)
                    await asyncio.sleep(2)
                    break
                offset = update.update_id + 1


def conversation_key(update: Update) -> str:
    """Updates of one chat are handled in order, one at a time."""
    if update.effective_chat is not None:
        return f"telegram:{update.effective_chat.id}"
    if update.effective_user is not None:
        return f"telegram:user:{update.effective_user.id}"
    return f"telegram:update:{update.update_id}"
