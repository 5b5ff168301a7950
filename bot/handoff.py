"""Human handoff: the channel-independent routing between a customer and the support staff.

``action_handoff`` answers the customer and adds a custom payload ``{"handoff": {...}}`` to
the engine's reply. The gateway hides that payload and calls :meth:`HandoffRouter.escalate`,
which opens the case in the database and posts the staff card. While the case is open the
engine is not called: :meth:`HandoffRouter.intercept` relays the customer's messages to the
staff thread (or ends the wait on "never mind"). The staff half (thread replies, card
buttons) is :class:`bot.handoff_staff.StaffSide`; the shared plumbing is
:class:`bot.handoff_base.HandoffBase`.

Every piece of state is a row (``cx_telemetry.handoff_state``), so any gateway serves any
step and a restart loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.handoff_staff import StaffSide
from bot.handoff_values import (
    BACK_BUTTON,
    CANCEL_PAYLOAD,
    CANCELLED_TEXT,
    FAILED_TEXT,
    NO_CASE_TEXT,
    TIMEOUT_KIND,
    TIMEOUT_TEXT,
    HandoffRequest,
    contact_email_in,
    handoff_request,
    is_cancel,
)
from bot.messages import Address, BotReply, IncomingMessage, text_reply
from cx_telemetry.handoff_state import Case, HandoffDesk, Transition

if TYPE_CHECKING:
    from bot.gateway import Gateway

log = logging.getLogger(__name__)


__all__ = ["TIMEOUT_KIND", "HandoffRouter", "build_router"]


class HandoffRouter(StaffSide):
    """Moves cases between customer, staff desk and engine. Construction does no I/O."""

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
        email = contact_email_in(msg.text)
        if email and email != case.contact_email:
            await self._keep_contact_email(case, email)
        return True

    async def _keep_contact_email(self, case: Case, email: str) -> None:
        """Put the address the customer left on the case and its card, for a reply by e-mail."""
        try:
            updated = await self.gateway.db(self.desk.set_contact_email, case.handoff_id, email)
        except Exception:  # it is in the thread anyway
            log.exception("could not keep the contact e-mail of handoff %s", case.handoff_id)
            return
        if updated is not None:
            await self._card(updated)

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


def build_router(gateway: Gateway, timeout: timedelta) -> HandoffRouter:
    """The router over the gateway's store (the telemetry store, which also keeps the cases);
    the staff desk is attached by the channel that provides it."""
    store: Any = gateway.store
    return HandoffRouter(gateway, HandoffDesk(store), None, timeout)
