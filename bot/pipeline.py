"""The channel-independent path of one customer message: conversation, handoff, engine,
replies, bookkeeping. Adapters hand it :class:`IncomingMessage` values; it never sees a
Telegram or Slack object.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.counters import GatewayCounters
from bot.delivery import Delivery
from bot.engine_client import EngineClient
from bot.errors import EngineError, EngineUnavailable
from bot.handoff.router import HandoffRouter
from bot.idle import IdleTimers
from bot.kept import KeptMessages
from bot.messages import APOLOGY, Address, IncomingMessage, text_reply
from bot.state.timer_store import Timer
from bot.survey_taps import SurveyTaps
from bot.telemetry import Telemetry, customer_text, replies_text
from contract import META_CHANNEL, META_CONVERSATION_ID, META_CUSTOMER_ID, META_LOCALE

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Pipeline:
    """The path of a customer message, through the collaborators it needs."""

    engine: EngineClient
    delivery: Delivery
    telemetry: Telemetry
    handoff: HandoffRouter
    idle: IdleTimers
    kept: KeptMessages
    stats: GatewayCounters
    survey_taps: SurveyTaps

    async def receive(self, msg: IncomingMessage) -> None:
        """Answer one customer message. Never raises: failures are logged and counted."""
        self.stats.messages_received.inc()
        cid: str | None = None
        try:
            if await self.survey_taps.late(msg):
                return  # a survey that is over: no new conversation for it
            cid = await self.telemetry.open_conversation(msg.address, msg.locale)
            if await self.handoff.intercept(msg, cid):
                return  # a person has this conversation: relayed to the staff thread
            await self._answer(msg.address, msg.text, msg.locale, cid, customer_turn=True)
        except EngineUnavailable as exc:
            log.warning("engine unavailable, keeping the message for later: %s", exc)
            self.stats.engine_unavailable.inc()
            await self.delivery.deliver(msg.address, [text_reply(APOLOGY)])
            await self.kept.keep(msg, cid)
            await self.idle.schedule(msg.address, cid)  # the customer did speak: not idle
        except EngineError as exc:
            log.error("engine error for %s: %s", msg.address.channel, exc)
            self.stats.engine_errors.inc()
            await self.delivery.deliver(msg.address, [text_reply(APOLOGY)])
        except Exception:  # a strange message must never take the gateway down
            log.exception("unexpected error while handling a %s message", msg.address.channel)
            self.stats.internal_errors.inc()

    async def replay(self, timer: Timer) -> None:
        """A kept message's time came: answer it now, or keep it again for later."""
        payload = timer.payload
        address = Address.from_payload(payload["address"])
        cid = payload.get("conversation_id")
        text = str(payload["text"])
        try:
            # A kept survey tap takes the live tap's path: a survey the engine no longer runs
            # still gets the rating telemetry waits for.
            kept = IncomingMessage(address, text, str(payload.get("delivery_key") or ""))
            if await self.survey_taps.late(kept):
                self.stats.messages_replayed.inc()
                return
            await self._answer(address, text, str(payload.get("locale") or "en"), cid)
            self.stats.messages_replayed.inc()
        except EngineUnavailable:
            attempt = int(payload.get("attempt", 0)) + 1
            await self.kept.keep_again(timer.conversation_id, dict(payload), attempt)
        except EngineError as exc:
            log.error("engine refused a kept message, dropping it: %s", exc)
            self.stats.messages_lost.inc()

    async def _answer(
        self, address: Address, text: str, locale: str, cid: str | None, customer_turn: bool = False
    ) -> None:
        metadata: dict[str, Any] = {
            META_CHANNEL: address.channel,
            META_CONVERSATION_ID: cid,
            META_LOCALE: locale,
            META_CUSTOMER_ID: address.user_id,
        }
        try:
            replies = await self.engine.send_message(address.sender_id, text, metadata)
        except EngineError:
            if customer_turn:  # the customer did write, even if the engine failed
                await self.telemetry.note_turn(cid, "customer", customer_text(text))
            raise
        replies = await self.handoff.escalate(address, cid, replies)  # hides the case payload
        await self.delivery.deliver(address, replies)
        # Bookkeeping after the reply is out, so it never adds to the customer's wait.
        if customer_turn:
            await self.telemetry.note_turn(cid, "customer", customer_text(text))
        if replies:
            await self.telemetry.note_turn(cid, "bot", replies_text(replies))
        await self.idle.schedule(address, cid)
