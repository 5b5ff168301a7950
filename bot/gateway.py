"""The channel-independent core: customer message -> engine -> replies, plus kept messages.

Adapters hand it :class:`IncomingMessage` values and register an :class:`Outbound` per
channel; it never sees a Telegram or Slack object.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot.errors import DeliveryFailed, EngineError, EngineUnavailable
from bot.messages import APOLOGY, Address, BotReply, IncomingMessage, text_reply, utcnow
from bot.rasa_client import RasaClient
from bot.settings import Settings
from bot.store import GatewayStore

if TYPE_CHECKING:
    from bot.handoff import HandoffRouter

log = logging.getLogger(__name__)
T = TypeVar("T")

IDLE_KIND = "idle"
REPLAY_PREFIX = "replay:"  # kind = f"replay:{key}": one timer row per kept message
IDLE_INTENT = "EXTERNAL_conversation_idle"


class Outbound(Protocol):
    """What a channel adapter offers the core: deliver replies to an address."""

    async def deliver(self, address: Address, replies: Sequence[BotReply]) -> None:
        """Send every reply, retrying as the platform asks; raise DeliveryFailed otherwise."""


class Gateway:
    """Owns the pipeline. Construction does no I/O."""

    def __init__(
        self,
        settings: Settings,
        rasa: RasaClient,
        store: GatewayStore,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.rasa = rasa
        self.store = store
        self.clock = clock
        self.outbounds: dict[str, Outbound] = {}
        self.stats: Counter[str] = Counter()
        self.handoff: HandoffRouter | None = None  # set by bot.app when handoff is on
        # SQLite has one writer: concurrent writer threads only meet its busy-wait sleeps, so
        # store calls go through one thread there; a server database gets a small pool.
        workers = 1 if settings.telemetry.db_url.startswith("sqlite") else 8
        self._db_pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gateway-db")

    def register(self, channel: str, outbound: Outbound) -> None:
        self.outbounds[channel] = outbound

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a (blocking) store call off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db_pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._db_pool.shutdown(wait=False)
        if self.handoff is not None:
            self.handoff.close()

    async def first_delivery(self, key: str) -> bool:
        """True the first time a platform delivery is seen (any gateway). May raise
        ``cx_telemetry.StoreUnavailable``: the webhook then answers 503 so the platform retries."""
        return await self.db(self.store.first_delivery, key)

    # -- customer messages -------------------------------------------------------------------

    async def receive(self, msg: IncomingMessage) -> None:
        """Answer one customer message. Never raises: failures are logged and counted."""
        self.stats["messages_received"] += 1
        cid: str | None = None
        try:
            cid = await self._open_conversation(msg.address, msg.locale)
            if self.handoff is not None and await self.handoff.intercept(msg, cid):
                return  # a person has this conversation: relayed to the staff thread
            await self._ask_engine(msg.address, msg.text, msg.locale, cid, customer_turn=True)
        except EngineUnavailable as exc:
            log.warning("engine unavailable, keeping the message for later: %s", exc)
            self.stats["engine_unavailable"] += 1
            await self.deliver(msg.address, [text_reply(APOLOGY)])
            await self._keep(msg, cid)
        except EngineError as exc:
            log.error("engine error for %s: %s", msg.address.channel, exc)
            self.stats["engine_errors"] += 1
            await self.deliver(msg.address, [text_reply(APOLOGY)])
        except Exception:  # a strange message must never take the gateway down
            log.exception("unexpected error while handling a %s message", msg.address.channel)
            self.stats["internal_errors"] += 1

    async def _ask_engine(
        self, address: Address, text: str, locale: str, cid: str | None, customer_turn: bool = False
    ) -> None:
        metadata = {
            "channel": address.channel,
            "conversation_id": cid,
            "locale": locale,
            "customer_id": address.user_id,
        }
        try:
            replies = await self.rasa.send_message(address.sender_id, text, metadata)
        except EngineError:
            if customer_turn:  # the customer did write, even if the engine failed
                await self.db(self._bookkeeping, address, cid, customer=True)
            raise
        if self.handoff is not None:  # hides action_handoff's payload, opens the staff case
            replies = await self.handoff.escalate(address, cid, replies)
        await self.deliver(address, replies)
        # Bookkeeping after the reply is out (one trip to the database thread), so it never
        # adds to the customer's wait.
        await self.db(
            self._bookkeeping, address, cid, customer=customer_turn, bot=bool(replies), idle=True
        )

    def _bookkeeping(
        self,
        address: Address,
        cid: str | None,
        customer: bool = False,
        bot: bool = False,
        idle: bool = False,
    ) -> None:
        """Turn counts and the idle timer (runs in the database thread). Never raises."""
        if cid is None:
            return
        for by, wanted in (("customer", customer), ("bot", bot)):
            if wanted:
                try:
                    self.store.note_turn(cid, by=by)
                except Exception:
                    log.exception("could not note a %s turn", by)
        if idle:
            payload = {"address": address.to_payload(), "conversation_id": cid}
            try:
                self.store.schedule_timer(
                    kind=IDLE_KIND,
                    conversation_id=cid,
                    due_at=self.clock() + self.settings.idle_timeout,
                    payload=payload,
                )
            except Exception:
                log.exception("could not schedule the idle timer")
                self.stats["timer_schedule_failed"] += 1

    async def deliver(self, address: Address, replies: Sequence[BotReply]) -> bool:
        """Deliver replies; a reply that cannot be delivered is logged and counted."""
        if not replies:
            return True
        outbound = self.outbounds.get(address.channel)
        if outbound is None:
            log.error(
                "no outbound for channel %s: %d replies undeliverable",
                address.channel,
                len(replies),
            )
            self.stats["delivery_failed"] += len(replies)
            return False
        try:
            await outbound.deliver(address, replies)
        except DeliveryFailed as exc:
            log.error(
                "undeliverable reply on %s (chat %s): %s", address.channel, address.chat_id, exc
            )
            self.stats["delivery_failed"] += 1
            return False
        self.stats["replies_delivered"] += len(replies)
        return True

    # -- telemetry (never breaks the conversation) -----------------------------------------------

    async def _open_conversation(self, address: Address, locale: str) -> str | None:
        try:
            return await self.db(
                self.store.open_conversation,
                channel=address.channel,
                customer_id=address.sender_id,
                locale=locale,
            )
        except Exception:
            log.exception("could not open a telemetry conversation")
            return None

    async def _note_turn(self, cid: str | None, by: str) -> None:
        if cid is None:
            return
        try:
            await self.db(self.store.note_turn, cid, by=by)
        except Exception:
            log.exception("could not note a %s turn", by)

    # -- timers -----------------------------------------------------------------------------

    async def reschedule_idle(self, cid: str, payload: dict[str, Any]) -> None:
        """Try an idle timer again later (the engine was down when it fired)."""
        due = self.clock() + timedelta(seconds=self.settings.replay_delay_seconds)
        await self.db(
            self.store.schedule_timer,
            kind=IDLE_KIND,
            conversation_id=cid,
            due_at=due,
            payload=payload,
        )

    async def _keep(self, msg: IncomingMessage, cid: str | None, attempt: int = 0) -> None:
        """Store the message as a timer so any gateway replays it when the engine is back."""
        key = hashlib.sha256(msg.delivery_key.encode()).hexdigest()[:16]
        payload = {
            "address": msg.address.to_payload(),
            "text": msg.text,
            "locale": msg.locale,
            "delivery_key": msg.delivery_key,
            "received_at": msg.received_at.isoformat(),
            "conversation_id": cid,
            "attempt": attempt,
        }
        await self._schedule_replay(key, cid or key, payload, attempt)

    async def _schedule_replay(
        self, key: str, cid: str, payload: dict[str, Any], attempt: int
    ) -> None:
        delay = min(
            self.settings.replay_delay_seconds * (2 ** min(attempt, 16)),
            self.settings.replay_max_delay_seconds,
        )
        try:
            await self.db(
                self.store.schedule_timer,
                kind=f"{REPLAY_PREFIX}{key}",
                conversation_id=cid,
                due_at=self.clock() + timedelta(seconds=delay),
                payload={**payload, "attempt": attempt, "key": key},
            )
            self.stats["messages_kept"] += 1
        except Exception:
            log.exception("could not keep a message while the engine is down: it is lost")
            self.stats["messages_lost"] += 1

    async def replay(self, timer_cid: str, payload: dict[str, Any]) -> None:
        """Replay a kept message; on another engine failure keep it again, later."""
        address = Address.from_payload(payload["address"])
        cid = payload.get("conversation_id")
        try:
            await self._ask_engine(
                address, str(payload["text"]), str(payload.get("locale") or "en"), cid
            )
            self.stats["messages_replayed"] += 1
        except EngineUnavailable:
            await self._schedule_replay(
                payload["key"], timer_cid, payload, int(payload.get("attempt", 0)) + 1
            )
        except EngineError as exc:
            log.error("engine refused a kept message, dropping it: %s", exc)
            self.stats["messages_lost"] += 1

    async def idle(self, cid: str, payload: dict[str, Any]) -> None:
        """The conversation went idle after the bot's last answer: let the engine react."""
        address = Address.from_payload(payload["address"])
        info = None
        try:
            info = await self.db(self.store.get_conversation, cid)
        except Exception:
            log.warning("could not read conversation %s; triggering idle anyway", cid)
        if info is not None and (
            getattr(info, "closed_at", None) or getattr(info, "handoff_open", False)
        ):
            return
        replies = await self.rasa.trigger_intent(address.sender_id, IDLE_INTENT)
        await self.deliver(address, replies)
        if replies:
            await self._note_turn(cid, "bot")
        self.stats["idle_triggered"] += 1
