"""Human handoff: the channel-independent routing between a customer and the support staff.

``action_handoff`` answers the customer and adds a custom payload ``{"handoff": {...}}`` to
the engine's reply. The gateway hides that payload and calls :meth:`HandoffRouter.escalate`,
which opens the case in the database and posts the staff card. While the case is open the
engine is not called: :meth:`HandoffRouter.intercept` relays the customer's messages to the
staff thread (or ends the wait on "never mind"). Staff messages and card buttons arrive, as
typed values, from the staff desk adapter (``bot/channels/slack_staff.py``).

Every piece of state is a row (``cx_telemetry.handoff_state``), so any gateway serves any
step and a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from bot.errors import EngineError
from bot.handoff_values import (
    BACK_BUTTON,
    CANCEL_PAYLOAD,
    CANCELLED_TEXT,
    CLOSED_TEXT,
    ENGINE_DOWN_TEXT,
    FAILED_TEXT,
    INTERNAL_NOTE,
    JOINED_TEXT,
    NO_CASE_TEXT,
    RESOLVED_INTENT,
    RETURNED_TEXT,
    TIMEOUT_KIND,
    TIMEOUT_TEXT,
    HandoffRequest,
    StaffAction,
    StaffDesk,
    StaffMessage,
    agent_display,
    agent_label,
    handoff_request,
    is_cancel,
    transcript_of,
)
from bot.messages import Address, BotReply, IncomingMessage, text_reply
from cx_telemetry.handoff_state import Case, HandoffDesk, Transition

if TYPE_CHECKING:
    from bot.gateway import Gateway

log = logging.getLogger(__name__)
T = TypeVar("T")


__all__ = ["TIMEOUT_KIND", "HandoffRouter", "build_router"]


class HandoffRouter:
    """Moves cases between customer, staff desk and engine. Construction does no I/O."""

    def __init__(
        self,
        gateway: Gateway,
        desk: HandoffDesk,
        staff: StaffDesk | None,
        timeout: timedelta = timedelta(minutes=10),
    ) -> None:
        self.gateway = gateway
        self.desk = desk
        self.staff = staff
        self.timeout = timeout
        # The per-message lookup reads on its own threads: a read-only transaction does not
        # wait for the gateway's (single, on SQLite) database writer thread.
        self._reads: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._reads is not None:
            self._reads.shutdown(wait=False)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        if self._reads is None:
            self._reads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="handoff-read")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reads, functools.partial(fn, *args))

    # -- customer side -----------------------------------------------------------------------

    async def escalate(
        self, address: Address, cid: str | None, replies: Sequence[BotReply]
    ) -> list[BotReply]:
        """Open the case for every handoff payload in ``replies``; returns what the customer
        should see (everything else)."""
        visible: list[BotReply] = []
        requests: list[HandoffRequest] = []
        for reply in replies:
            request = handoff_request(reply)
            if request is None:
                visible.append(reply)
            else:
                requests.append(request)
        for request in requests:
            try:
                await self._open(address, cid, request)
            except Exception:
                # No case the staff can see (database down?): do not leave the customer
                # talking to a paused engine.
                log.exception("could not open handoff %s", request.handoff_id)
                self.gateway.stats["handoff_failed"] += 1
                await self._resume_sender(address.sender_id)
                visible.append(text_reply(FAILED_TEXT))
        return visible

    async def _open(self, address: Address, cid: str | None, request: HandoffRequest) -> None:
        gw = self.gateway
        transcript, intents = await self._transcript(address.sender_id)
        name = await self._customer_name(address)
        # the same pseudonym as the conversation row (the gateway opens it by sender id)
        customer = self._pseudonym(address.sender_id)
        opened: Transition = await gw.db(
            self.desk.open_case,
            request.handoff_id,
            sender_id=address.sender_id,
            channel=address.channel,
            address=address.to_payload(),
            conversation_id=request.conversation_id or cid,
            customer=customer,
            customer_name=name,
            reason=request.reason,
            intents=intents,
            transcript=transcript,
            at=gw.clock(),
        )
        case = opened.case
        if case is None:
            return
        if not opened.won:  # escalating again while the case is open: same case, same thread
            await self._thread(case, "_The customer asked for a person again._")
            return
        gw.stats["handoffs_opened"] += 1
        await gw.db(
            gw.store.schedule_timer,
            kind=TIMEOUT_KIND,
            conversation_id=case.handoff_id,
            # without a staff desk nobody can claim: offer the follow-up straight away
            due_at=case.requested_at + (self.timeout if self.staff else timedelta(0)),
            payload={"handoff_id": case.handoff_id},
        )
        if self.staff is None:
            log.warning("handoff %s opened but no staff channel is configured", case.handoff_id)
            return
        try:
            ts = await self.staff.post_card(case)
        except Exception:  # no card, no staff: close the case rather than relay into the void
            await gw.db(self.desk.close, case.handoff_id, "cancelled", at=gw.clock())
            await gw.db(gw.store.cancel_timer, kind=TIMEOUT_KIND, conversation_id=case.handoff_id)
            await self._telemetry("handoff_resolved", case.handoff_id, outcome="cancelled")
            raise
        await gw.db(self.desk.set_card, case.handoff_id, self.staff.channel, ts)

    async def intercept(self, msg: IncomingMessage, cid: str | None) -> bool:
        """True when the message belongs to an open handoff (relayed to staff, or a cancel)
        and the engine must not see it."""
        gw = self.gateway
        try:
            case = await self._read(self.desk.open_case_for, msg.address.sender_id)
        except Exception:  # without the case table, the engine is the better fallback
            log.exception("could not look up an open handoff")
            return False
        if case is None:
            if msg.text == CANCEL_PAYLOAD:  # a stale "never mind" button
                await gw.deliver(msg.address, [text_reply(NO_CASE_TEXT)])
                return True
            return False
        if is_cancel(msg.text):
            await self._cancel(case, msg.address)
            return True
        gw.stats["handoff_customer_messages"] += 1
        await self._thread(case, f"*Customer:* {msg.text}")
        await self._telemetry("note_turn", case.conversation_id, by="customer")
        return True

    async def _cancel(self, case: Case, address: Address) -> None:
        gw = self.gateway
        if not await self._resume(case):
            await gw.deliver(address, [text_reply("Sorry, please try again in a minute.")])
            return
        closed = await gw.db(self.desk.close, case.handoff_id, "cancelled", at=gw.clock())
        if not closed.won or closed.case is None:
            return
        await self._closed_telemetry(closed.case, "cancelled", agent=None)
        await gw.deliver(address, [text_reply(CANCELLED_TEXT)])
        await self._after_close(closed.case, "_The customer cancelled and is back with the bot._")

    # -- staff side --------------------------------------------------------------------------

    async def on_staff_message(self, msg: StaffMessage) -> None:
        """A staff reply in a case thread: to the customer, as a person (``//`` = note)."""
        gw = self.gateway
        case = await gw.db(self.desk.case_for_thread, msg.staff_channel, msg.thread_ts)
        if case is None or msg.text.lstrip().startswith(INTERNAL_NOTE):
            return
        if not case.is_open:
            if self.staff is not None:
                await self.staff.tell(
                    case, msg.user_id, "This case is closed; the customer did not get that."
                )
            return
        name = await self._agent_name(msg.user_id)
        if case.status == "waiting":  # answering the customer is claiming the case
            case = await self._claim(case, msg.user_id, name) or case
        address = Address.from_payload(case.address)
        delivered = await gw.deliver(address, [text_reply(f"{name}: {msg.text}")])
        if not delivered:
            await self._thread(case, "_:warning: That message could not be delivered._")
            return
        gw.stats["handoff_agent_messages"] += 1
        await self._telemetry("handoff_agent_replied", case.handoff_id, at=gw.clock())
        await self._telemetry("note_turn", case.conversation_id, by="agent")

    async def on_staff_action(self, action: StaffAction) -> None:
        """A card button. Resolve/Return on a case someone else claimed asks first."""
        gw = self.gateway
        case = await gw.db(self.desk.case, action.handoff_id)
        if case is None:
            return
        name = await self._agent_name(action.user_id)
        label = agent_label(name, action.user_id)
        if action.kind == "dismiss":
            await gw.db(self.desk.log_action, case.handoff_id, "dismiss", action.user_id, label)
            return
        if not case.is_open:
            await gw.db(
                self.desk.log_action, case.handoff_id, f"{action.kind}_late", action.user_id, label
            )
            await self._tell(case, action.user_id, f"This case is already {case.status}.")
            return
        if action.kind == "claim":
            claimed = await self._claim(case, action.user_id, name)
            if claimed is None:
                await gw.db(
                    self.desk.log_action, case.handoff_id, "claim_refused", action.user_id, label
                )
                await self._tell(
                    case, action.user_id, f"Already claimed by {agent_display(case.agent)}."
                )
            return
        if action.kind not in ("resolve", "return"):
            log.info("ignoring unknown staff action %r", action.kind)
            return
        if case.claimed_by and case.claimed_by != action.user_id and not action.confirmed:
            await gw.db(
                self.desk.log_action,
                case.handoff_id,
                f"{action.kind}_confirm",
                action.user_id,
                label,
            )
            if self.staff is not None:
                await self.staff.ask_confirmation(case, action.user_id, action.kind)
            return
        await self._close(case, action.kind, action.user_id, name)

    async def _claim(self, case: Case, user_id: str, name: str) -> Case | None:
        gw = self.gateway
        label = agent_label(name, user_id)
        claimed = await gw.db(self.desk.claim, case.handoff_id, user_id, label, at=gw.clock())
        if not claimed.won or claimed.case is None:
            return None
        case = claimed.case
        await self._telemetry("handoff_claimed", case.handoff_id, agent=label, at=case.claimed_at)
        await gw.db(gw.store.cancel_timer, kind=TIMEOUT_KIND, conversation_id=case.handoff_id)
        await gw.deliver(
            Address.from_payload(case.address), [text_reply(JOINED_TEXT.format(name=name))]
        )
        await self._card(case)
        await self._thread(case, f"_Claimed by <@{user_id}>._")
        return case

    async def _close(self, case: Case, kind: str, user_id: str, name: str) -> None:
        gw = self.gateway
        address = Address.from_payload(case.address)
        if not await self._resume(case):
            await self._tell(case, user_id, ENGINE_DOWN_TEXT)
            return
        status = "resolved" if kind == "resolve" else "returned"
        label = agent_label(name, user_id)
        closed = await gw.db(
            self.desk.close, case.handoff_id, status, user_id, label, at=gw.clock()
        )
        if not closed.won or closed.case is None:
            await self._tell(case, user_id, "Someone else closed this case a moment ago.")
            return
        case = closed.case
        # The agent of record is the one who claimed (and so helped); else whoever closed it.
        agent = case.agent or label
        outcome = status
        if status == "resolved" and case.claimed_at is None and case.follow_up_offered:
            outcome = "timed_out"  # nobody picked it up in time; followed up another way
        # Telemetry first: the survey only starts once the handoff is no longer open.
        await self._closed_telemetry(case, outcome, agent=agent)
        if status == "resolved":
            await gw.deliver(address, [text_reply(CLOSED_TEXT.format(name=name))])
            try:
                replies = await gw.rasa.trigger_intent(
                    case.sender_id, RESOLVED_INTENT, {"agent": agent}
                )
            except EngineError as exc:
                log.error("could not start the survey after handoff %s: %s", case.handoff_id, exc)
                replies = []
            await gw.deliver(address, replies)
            if replies:
                await self._telemetry("note_turn", case.conversation_id, by="bot")
            note = f"_Resolved by <@{user_id}>; the customer gets the survey._"
        else:
            await gw.deliver(address, [text_reply(RETURNED_TEXT.format(name=name))])
            note = f"_Returned to the bot by <@{user_id}>._"
        await self._schedule_idle(case)
        await self._after_close(case, note)

    # -- timers ------------------------------------------------------------------------------

    async def on_timeout(self, payload: Mapping[str, Any]) -> None:
        """Nobody claimed the case in time: offer the customer to leave a message and an
        e-mail address. The case stays open on the staff card."""
        gw = self.gateway
        hid = str(payload.get("handoff_id") or "")
        offered = await gw.db(self.desk.offer_follow_up, hid, at=gw.clock())
        if not offered.won or offered.case is None:
            return
        case = offered.case
        gw.stats["handoff_timeouts"] += 1
        reply = BotReply(text=TIMEOUT_TEXT, buttons=(BACK_BUTTON,))
        await gw.deliver(Address.from_payload(case.address), [reply])
        await self._card(case)
        minutes = round(self.timeout.total_seconds() / 60)
        await self._thread(
            case,
            f"_No claim within {minutes} min: the customer was offered to leave a message "
            "and an e-mail address. The case stays open._",
        )

    # -- helpers -----------------------------------------------------------------------------

    async def _after_close(self, case: Case, note: str) -> None:
        gw = self.gateway
        await gw.db(gw.store.cancel_timer, kind=TIMEOUT_KIND, conversation_id=case.handoff_id)
        await self._card(case)
        await self._thread(case, note)

    async def _closed_telemetry(self, case: Case, outcome: str, agent: str | None) -> None:
        await self._telemetry(
            "handoff_resolved", case.handoff_id, agent=agent, outcome=outcome, at=case.closed_at
        )

    async def _schedule_idle(self, case: Case) -> None:
        from bot.gateway import IDLE_KIND

        gw = self.gateway
        if case.conversation_id is None:
            return
        try:
            await gw.db(
                gw.store.schedule_timer,
                kind=IDLE_KIND,
                conversation_id=case.conversation_id,
                due_at=gw.clock() + gw.settings.idle_timeout,
                payload={"address": case.address, "conversation_id": case.conversation_id},
            )
        except Exception:
            log.exception("could not schedule the idle timer after a handoff")

    async def _resume(self, case: Case) -> bool:
        return await self._resume_sender(case.sender_id)

    async def _resume_sender(self, sender_id: str) -> bool:
        """Un-pause the engine's conversation (``ConversationPaused`` by action_handoff)."""
        try:
            await self.gateway.rasa.resume(sender_id)
        except EngineError as exc:
            log.error("could not resume %s: %s", sender_id, exc)
            return False
        return True

    async def _transcript(self, sender_id: str) -> tuple[list[str], list[str]]:
        """The last 20 turns (``"Customer: ..."`` / ``"Bot: ..."``) and intents so far, from the
        engine's tracker. Empty when the engine does not answer: the card goes out anyway."""
        try:
            data = await self.gateway.rasa.tracker(sender_id)
        except EngineError as exc:
            log.warning("no transcript for the staff card: %s", exc)
            return [], []
        return transcript_of(data)

    def _pseudonym(self, customer_id: str) -> str | None:
        pseudonym = getattr(self.gateway.store, "pseudonym", None)
        try:
            return str(pseudonym(customer_id)) if pseudonym else None
        except Exception:
            return None

    async def _customer_name(self, address: Address) -> str | None:
        """The customer's display name where the platform gives one: the staff desk knows
        Slack users; other channels may offer ``display_name(address)`` on their adapter."""
        try:
            if self.staff is not None:
                name = await self.staff.customer_name(address)
                if name:
                    return name
            lookup = getattr(self.gateway.outbounds.get(address.channel), "display_name", None)
            return await lookup(address) if lookup is not None else None
        except Exception:
            log.warning("no display name for a %s customer", address.channel)
            return None

    async def _agent_name(self, user_id: str) -> str:
        if self.staff is None:
            return user_id
        try:
            return await self.staff.agent_name(user_id)
        except Exception:
            log.warning("no name for staff user %s", user_id)
            return user_id

    async def _card(self, case: Case) -> None:
        if self.staff is None or not case.card_ts:
            return
        try:
            await self.staff.update_card(case)
        except Exception:
            log.exception("could not update the card of handoff %s", case.handoff_id)

    async def _thread(self, case: Case, text: str) -> None:
        if self.staff is None or not case.card_ts:
            return
        try:
            await self.staff.post_in_thread(case, text)
        except Exception:
            log.exception("could not post in the thread of handoff %s", case.handoff_id)

    async def _tell(self, case: Case, user_id: str, text: str) -> None:
        if self.staff is None:
            return
        try:
            await self.staff.tell(case, user_id, text)
        except Exception:
            log.exception("could not answer staff user %s", user_id)

    async def _telemetry(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Telemetry writes never break the handoff (they are outboxed on an outage)."""
        if args and args[0] is None:
            return
        try:
            await self.gateway.db(getattr(self.gateway.store, method), *args, **kwargs)
        except Exception:
            log.exception("telemetry %s failed", method)


def build_router(gateway: Gateway, timeout: timedelta) -> HandoffRouter:
    """The router over the gateway's store (the telemetry store, which also keeps the cases);
    the staff desk is attached by the channel that provides it."""
    store: Any = gateway.store
    return HandoffRouter(gateway, HandoffDesk(store), None, timeout)
