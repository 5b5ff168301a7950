"""Slack, inbound: a bolt ``AsyncApp`` behind ``POST /webhooks/slack``, or Socket Mode.

Events, interactivity and slash commands share one URL. A customer's message (a ``message`` or
``app_mention`` event callback) is ours alone: its signature is checked as bolt checks it, and
it is committed to the gateway's inbox, with its dedupe key, before Slack hears 200; the engine's
work then runs from the inbox, as for Telegram (a database outage answers 503, so Slack retries).
Everything else goes, after our body-size and shape checks, to bolt's Starlette adapter, whose
request verification checks the signature (a forged or stale one is answered 403, as on our
other webhooks); we ack actions and commands first thing, so Slack has its ack well within 3 s.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackClientError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.channels.plumbing import Dedupe, InFlight, Receive, press_message
from bot.channels.slack.format import BUTTON_ACTION, chosen_blocks, press_to_ours, to_ours
from bot.http import BadRequestBody, parse_json_object, read_body
from bot.inbox import Inbox
from bot.messages import ALREADY_ANSWERED, Address, IncomingMessage

log = logging.getLogger(__name__)
CUSTOMER_EVENTS = frozenset({"message", "app_mention"})


def make_bolt_app(client: AsyncWebClient, signing_secret: str | None) -> AsyncApp:
    """The bolt app every Slack listener (customers, staff desk) registers on."""
    return AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=bool(signing_secret),
        process_before_response=False,
    )


class SlackChannel:
    """Customers on Slack: DMs to the app and mentions in channels (answered in a thread)."""

    def __init__(
        self,
        app: AsyncApp,
        receive: Receive,
        dedupe: Dedupe,
        inbox: Inbox,
        signing_secret: str | None,
        app_token: str | None,
        start_text: str,
        max_body_bytes: int,
        staff_channel: str | None = None,
    ) -> None:
        self.app = app
        self.client: AsyncWebClient = app.client
        self.receive = receive
        self.dedupe = dedupe
        self.inbox = inbox
        self.signing_secret = signing_secret
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.app_token = app_token
        self.start_text = start_text
        self.max_body_bytes = max_body_bytes
        self.staff_channel = staff_channel  # its messages go to the staff desk, through bolt
        self.inflight = InFlight("Slack customer messages")
        self._socket: Any = None
        app.event("message")(self.inflight.tracked(self._on_event))
        app.event("app_mention")(self.inflight.tracked(self._on_event))
        app.action(BUTTON_ACTION)(self.inflight.tracked(self._on_button))
        app.command("/support")(self.inflight.tracked(self._on_support))

    async def start(self) -> None:
        if self.app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()

    async def stop(self) -> None:
        await self.inflight.drain(timeout=10)
        if self._socket is not None:
            await self._socket.close_async()

    async def webhook(self, request: Request) -> Response:
        if not self.signing_secret:  # nothing can be verified: nothing is accepted
            return PlainTextResponse("forbidden", status_code=403)
        try:
            body = await read_body(request, self.max_body_bytes)
            is_json = _parse(body, request.headers.get("content-type", ""))
        except BadRequestBody as exc:
            return exc.response
        if is_json:
            envelope = json.loads(body)
            msg = _customer_message(envelope, None, self.staff_channel)
            if msg is not None:
                return await self._event_callback(request, body, envelope, msg)
        bolt = await self.app.async_dispatch(to_async_bolt_request(request, body))
        if bolt.status == 401:  # bolt's request verification: forged or stale
            return PlainTextResponse("forbidden", status_code=403)
        if bolt.status == 404 and is_json:
            return Response(status_code=200)  # an event we do not subscribe to: ack, no retry
        return to_starlette_response(bolt)

    async def _event_callback(
        self, request: Request, body: bytes, envelope: dict[str, Any], msg: IncomingMessage
    ) -> Response:
        """A customer's message: in the inbox before Slack hears 200 (bolt would ack first)."""
        if self.verifier is None or not self.verifier.is_valid_request(body, request.headers):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            await self.accept(envelope, msg)
        except Exception:
            log.exception("inbox unavailable; asking Slack to retry")
            return PlainTextResponse("try again", status_code=503)
        return Response(status_code=200)

    async def accept(self, envelope: dict[str, Any], msg: IncomingMessage) -> None:
        """Commit a customer's message (the event callback ``envelope``) to the inbox; a
        duplicate changes nothing. Raises ``StateUnavailable`` on an outage."""
        key = f"slack:{msg.address.sender_id}"  # one engine conversation: one at a time
        kept = {k: v for k, v in envelope.items() if k != "token"}  # Slack's legacy secret
        await self.inbox.accept(msg.delivery_key, "slack", key, kept, self.handle)

    async def handle(self, payload: dict[str, Any]) -> None:
        """An event callback from the inbox (the JSON Slack sent). Never raises."""
        try:
            msg = _customer_message(payload, None, self.staff_channel)
            if msg is not None:
                await self.receive(msg)
        except Exception:
            log.exception("failed to process Slack event %s", payload.get("event_id"))

    async def _on_event(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        """Socket Mode only (over HTTP the webhook takes these events before bolt): bolt has
        acked already, so the inbox still gives ordering, dedupe and a resume after a crash;
        with the database down the message is answered at once rather than lost."""
        msg = _customer_message(body, context.bot_user_id, self.staff_channel)
        if msg is None:
            return
        try:
            await self.accept(body, msg)
        except Exception:
            log.warning("inbox unavailable; answering Slack event %s now", body.get("event_id"))
            if await self.dedupe.first_or_assume(msg.delivery_key):
                await self.receive(msg)

    async def _on_button(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        press = press_to_ours(body, action)
        if not await self.dedupe.first_or_assume(press.delivery_key):
            return
        # A keyboard is answered once: a second tap (a double tap, an old message) only hears so.
        keyboard = f"slack:keyboard:{press.address.chat_id}:{press.message_ts}"
        if press.message_ts and not await self.dedupe.first_or_assume(keyboard):
            await self._say(press.address, ALREADY_ANSWERED)
            return
        if press.message_ts:
            try:
                await self.client.chat_update(
                    channel=press.address.chat_id,
                    ts=press.message_ts,
                    text=press.text or press.title,
                    blocks=chosen_blocks(press),
                )
            except SlackClientError as exc:
                log.warning("could not replace the buttons: %s", exc)
        msg = press_message(press)
        if msg is not None:
            await self.receive(msg)

    async def _say(self, address: Address, text: str) -> None:
        """A word of the channel's own, without the engine."""
        try:
            await self.client.chat_postMessage(
                channel=address.chat_id, text=text, thread_ts=address.thread_ts
            )
        except SlackClientError as exc:
            log.warning("could not answer a repeated tap: %s", exc)

    async def _on_support(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        user = str(body.get("user_id") or "")
        channel = str(body.get("channel_id") or "")
        try:  # the conversation continues in the customer's DM with the app
            opened = await self.client.conversations_open(users=user)
            channel = str((opened.get("channel") or {}).get("id") or channel)
        except SlackClientError as exc:
            log.warning("conversations.open failed, answering in %s: %s", channel, exc)
        key = f"slack:command:{body.get('trigger_id')}"
        if await self.dedupe.first_or_assume(key):
            address = Address("slack", channel, user, shared_chat=not channel.startswith("D"))
            await self.receive(IncomingMessage(address, self.start_text, key))


def _customer_message(
    envelope: dict[str, Any], bot_user_id: str | None, staff_channel: str | None
) -> IncomingMessage | None:
    """The customer's message in an event callback, or ``None`` for anything else (bots, edits,
    the staff channel, which is the staff desk's). Our own user id is in the callback's
    ``authorizations`` (bolt's context when it has one)."""
    event = envelope.get("event")
    if envelope.get("type") != "event_callback" or not isinstance(event, dict):
        return None
    if event.get("type") not in CUSTOMER_EVENTS or event.get("channel") == staff_channel:
        return None
    if bot_user_id is None:
        for authorization in envelope.get("authorizations") or []:
            if isinstance(authorization, dict) and authorization.get("is_bot"):
                bot_user_id = str(authorization.get("user_id") or "") or None
                break
    event_id = str(envelope.get("event_id") or f"{event.get('channel')}:{event.get('ts')}")
    return to_ours(event, bot_user_id, event_id)


def _parse(body: bytes, content_type: str) -> bool:
    """400 on a body that is not UTF-8, malformed JSON (events) or a form without
    ``payload``/``command``; True for JSON."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequestBody(PlainTextResponse("not UTF-8", status_code=400)) from exc
    if content_type.startswith("application/json"):
        parse_json_object(body)
        return True
    form = parse_qs(body.decode("utf-8", errors="replace"))
    if "payload" in form:
        try:
            json.loads(form["payload"][0])
        except ValueError as exc:
            raise BadRequestBody(PlainTextResponse("malformed JSON", status_code=400)) from exc
        return False
    if "command" in form or "ssl_check" in form:
        return False
    raise BadRequestBody(PlainTextResponse("unrecognised Slack request", status_code=400))
