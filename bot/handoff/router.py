"""Human handoff, customer side: escalation, the relay while a person has the chat, the
customer's cancel, and the "everyone is busy" timeout.

``action_handoff`` answers the customer and adds a custom payload ``{"handoff": {...}}`` to the
engine's reply. :meth:`HandoffRouter.escalate` hides that payload, opens the case and posts the
staff card. While the case is open the engine is not called: :meth:`HandoffRouter.intercept`
relays the customer's messages to the staff thread (or ends the wait on "never mind"). What
staff do is :class:`bot.handoff.staff.StaffSide`. Every piece of state is a row
(``bot.handoff.cases``), so any gateway serves any step and a restart loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.counters import GatewayCounters
from bot.delivery import Delivery
from bot.engine_client import EngineClient
from bot.errors import EngineError
from bot.handoff.cases import CaseRepository
from bot.handoff.lifecycle import CaseLifecycle
from bot.handoff.staff_desk import StaffNotices
from bot.handoff.texts import (
    BACK_BUTTON,
    CANCELLED_TEXT,
    FAILED_TEXT,
    KEPT_TEXT,
    LEFT_NO_EMAIL_TEXT,
    LEFT_WITH_EMAIL_TEXT,
    NO_CASE_TEXT,
    NO_DESK_TEXT,
    TIMEOUT_TEXT,
)
from bot.handoff.values import (
    Case,
    HandoffRequest,
    contact_email_in,
    handoff_request,
    is_cancel,
    transcript_of,
)
from bot.messages import Address, BotReply, IncomingMessage, text_reply
from bot.state.timer_store import Timer, TimerStore
from bot.telemetry import Telemetry, customer_text, replies_text
from bot.threads import DbThreads
from contract import HANDOFF_CANCEL_PAYLOAD, HANDOFF_TIMEOUT_TIMER


def _queue_message(reply: BotReply) -> bool:
    """action_handoff's "you're in line" message (the one with the "Never mind" button)."""
    return any(b.payload == HANDOFF_CANCEL_PAYLOAD for b in reply.buttons)


log = logging.getLogger(__name__)


@dataclass(eq=False)
class HandoffRouter:
    """Moves a customer between the engine and the staff desk."""

    cases: CaseRepository
    lifecycle: CaseLifecycle
    staff: StaffNotices
    engine: EngineClient
    delivery: Delivery
    telemetry: Telemetry
    timers: TimerStore
    threads: DbThreads
    stats: GatewayCounters
    clock: Callable[[], datetime]
    timeout: timedelta

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
                opened = await self._open(address, cid, request)
                if opened and not self.staff.configured:
                    # nobody could claim it: no queue to promise, the message offer at once
                    visible = [r for r in visible if not _queue_message(r)]
                    visible.append(BotReply(text=NO_DESK_TEXT, buttons=(BACK_BUTTON,)))
            except Exception:
                # No case the staff can see (database down?): do not leave the customer
                # talking to a paused engine.
                log.exception("could not open handoff %s", request.handoff_id)
                self.stats.handoff_failed.inc()
                await self.lifecycle.resume(address.sender_id)
                visible.append(text_reply(FAILED_TEXT))
        return visible

    async def _open(self, address: Address, cid: str | None, request: HandoffRequest) -> bool:
        """Open (or rejoin) the customer's case; True when a new case was opened."""
        transcript, intents = await self._transcript(address.sender_id)
        name = await self.delivery.display_name(address)
        opened = await self.threads.write(
            self.cases.open_case,
            request.handoff_id,
            sender_id=address.sender_id,
            channel=address.channel,
            address=address.to_payload(),
            conversation_id=request.conversation_id or cid,
            # the same pseudonym as the conversation row (opened by sender id)
            customer=self.telemetry.pseudonym(address.sender_id),
            customer_name=name,
            reason=request.reason,
            intents=intents,
            transcript=transcript,
            identity=request.identity,
            at=self.clock(),
        )
        case = opened.case
        if case is None:
            return False
        if not opened.won:  # escalating again while the case is open: same case, same thread
            if case.status == "follow_up":  # back from the assistant: waiting again
                again = await self.threads.write(self.cases.wait_again, case.handoff_id)
                case = again.case or case
                await self.staff.card(case)
            await self.staff.thread(case, "The customer asked for a person again.")
            return False
        self.stats.handoffs_opened.inc()
        if not self.staff.configured:
            # without a staff desk nobody can claim: the follow-up is offered straight away
            log.info("handoff %s opened without a staff desk: message offered", case.handoff_id)
            await self.threads.write(self.cases.offer_follow_up, case.handoff_id, at=self.clock())
            return True
        await self.threads.write(
            self.timers.schedule,
            HANDOFF_TIMEOUT_TIMER,
            case.handoff_id,
            case.requested_at + self.timeout,
            {"handoff_id": case.handoff_id},
        )
        try:
            staff_channel, ts = await self.staff.post_card(case)
        except Exception:  # no card, no staff: close the case rather than relay into the void
            await self.threads.write(
                self.cases.close, case.handoff_id, "cancelled", at=self.clock()
            )
            await self.lifecycle.stop_timeout(case)
            await self.telemetry.handoff_resolved(case.handoff_id, outcome="cancelled")
            raise
        await self.threads.write(self.cases.set_card, case.handoff_id, staff_channel, ts)
        return True

    async def _transcript(self, sender_id: str) -> tuple[list[str], list[str]]:
        """The last turns and intents so far, from the engine's tracker. Empty when the engine
        does not answer: the card goes out anyway."""
        try:
            data = await self.engine.tracker(sender_id)
        except EngineError as exc:
            log.warning("no transcript for the staff card: %s", exc)
            return [], []
        return transcript_of(data)

    async def intercept(self, msg: IncomingMessage, cid: str | None) -> bool:
        """True when the message belongs to an open handoff (relayed to staff, or a cancel)
        and the engine must not see it."""
        try:
            case = await self.threads.read(self.cases.open_case_for, msg.address.sender_id)
        except Exception:  # without the case table, the engine is the better fallback
            log.exception("could not look up an open handoff")
            return False
        if case is None:
            if msg.text == HANDOFF_CANCEL_PAYLOAD:  # a stale "never mind" button
                await self.delivery.deliver(msg.address, [text_reply(NO_CASE_TEXT)])
                return True
            return False
        if is_cancel(msg.text):
            await self._cancel(case, msg.address)
            return True
        self.stats.handoff_customer_messages.inc()
        await self.staff.customer_said(case, msg.text)
        await self.telemetry.note_turn(case.conversation_id, "customer", customer_text(msg.text))
        email = contact_email_in(msg.text)
        if email and email != case.contact_email:
            case = await self._keep_contact_email(case, email)
        if case.follow_up_offered and case.status == "waiting":
            await self._acknowledge(msg.address, case, email)
        return True

    async def _acknowledge(self, address: Address, case: Case, email: str | None) -> None:
        """A message left after the follow-up offer: say it is kept, and where the reply goes."""
        to = email or case.contact_email
        text = LEFT_WITH_EMAIL_TEXT.format(email=to) if to else LEFT_NO_EMAIL_TEXT
        reply = BotReply(text=text, buttons=(BACK_BUTTON,))
        if await self.delivery.deliver(address, [reply]):
            await self.telemetry.note_turn(case.conversation_id, "bot", replies_text([reply]))

    async def _keep_contact_email(self, case: Case, email: str) -> Case:
        """Put the address the customer left on the case and its card, for a reply by e-mail."""
        try:
            updated = await self.threads.write(self.cases.set_contact_email, case.handoff_id, email)
        except Exception:  # it is in the thread anyway
            log.exception("could not keep the contact e-mail of handoff %s", case.handoff_id)
            return case
        if updated is not None:
            await self.staff.card(updated)
            return updated
        return case

    async def _cancel(self, case: Case, address: Address) -> None:
        if not await self.lifecycle.resume(case.sender_id):
            await self.delivery.deliver(
                address, [text_reply("Sorry, please try again in a minute.")]
            )
            return
        if case.follow_up_offered and case.contact_email and case.status == "waiting":
            await self._keep_for_follow_up(case, address)
            return
        closed = await self.threads.write(
            self.cases.close, case.handoff_id, "cancelled", at=self.clock()
        )
        if not closed.won or closed.case is None:
            return
        await self.lifecycle.record_close(closed.case, "cancelled", agent=None)
        await self.delivery.deliver(address, [text_reply(CANCELLED_TEXT)])
        await self.lifecycle.tidy(closed.case, "The customer cancelled and is back with the bot.")

    async def _keep_for_follow_up(self, case: Case, address: Address) -> None:
        """Back to the assistant after leaving a message: the case stays open for staff."""
        kept = await self.threads.write(self.cases.keep_for_follow_up, case.handoff_id)
        if not kept.won or kept.case is None:
            return
        await self.lifecycle.stop_timeout(kept.case)
        await self.delivery.deliver(
            address, [text_reply(KEPT_TEXT.format(email=kept.case.contact_email))]
        )
        await self.staff.card(kept.case)
        await self.staff.thread(
            kept.case,
            "The customer left a message and went back to the assistant: "
            "follow up by e-mail, or claim to answer in the chat.",
        )

    async def on_timeout(self, timer: Timer) -> None:
        """Nobody claimed the case in time: offer the customer to leave a message and an
        e-mail address. The case stays open on the staff card."""
        hid = str(timer.payload.get("handoff_id") or "")
        offered = await self.threads.write(self.cases.offer_follow_up, hid, at=self.clock())
        if not offered.won or offered.case is None:
            return
        case = offered.case
        self.stats.handoff_timeouts.inc()
        reply = BotReply(text=TIMEOUT_TEXT, buttons=(BACK_BUTTON,))
        await self.delivery.deliver(Address.from_payload(case.address), [reply])
        await self.staff.card(case)
        minutes = round(self.timeout.total_seconds() / 60)
        await self.staff.thread(
            case,
            f"No claim within {minutes} min: the customer was offered to leave a message "
            "and an e-mail address. The case stays open.",
        )
