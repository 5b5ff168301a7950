"""Human handoff, staff half: replies in a case thread and the card's buttons.

Staff messages and card buttons arrive, as typed values, from the staff desk adapter
(``bot/channels/slack_staff.py``). A reply in a waiting case claims it; Resolve hands the
customer back to the bot and starts the survey; Return hands back without one. Resolve or
Return on a case someone else claimed asks for confirmation first.
"""

from __future__ import annotations

import logging

from bot.errors import EngineError
from bot.handoff_base import HandoffBase
from bot.handoff_values import (
    CLOSED_TEXT,
    ENGINE_DOWN_TEXT,
    INTERNAL_NOTE,
    JOINED_TEXT,
    RESOLVED_INTENT,
    RETURNED_TEXT,
    TIMEOUT_KIND,
    StaffAction,
    StaffMessage,
    agent_display,
    agent_label,
)
from bot.messages import Address, text_reply
from cx_telemetry.handoff_state import Case

log = logging.getLogger(__name__)


class StaffSide(HandoffBase):
    """What the support staff do to a case, from the staff desk."""

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
