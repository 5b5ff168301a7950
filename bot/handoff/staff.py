"""Human handoff, staff side: replies in a case thread and the card's buttons.

Staff messages and card buttons arrive, as typed values, from the staff-desk adapter
(``bot/channels/slack/staff_desk.py``). A reply in a waiting case claims it; Resolve hands the
customer back to the bot and starts the survey; Return hands back without one. Resolve or
Return on a case someone else claimed asks for confirmation first. No survey marks the case so
that the customer gets no survey after it (kept on the case and on the conversation's telemetry,
where the survey is decided).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.counters import GatewayCounters
from bot.delivery import Delivery
from bot.engine_client import EngineClient
from bot.errors import EngineError
from bot.handoff.cases import CaseRepository
from bot.handoff.lifecycle import CaseLifecycle
from bot.handoff.staff_desk import StaffNotices
from bot.handoff.texts import CLOSED_TEXT, ENGINE_DOWN_TEXT, JOINED_TEXT, RETURNED_TEXT
from bot.handoff.values import (
    INTERNAL_NOTE,
    Case,
    StaffAction,
    StaffMessage,
    agent_display,
    agent_label,
)
from bot.idle import IdleTimers
from bot.messages import Address, text_reply
from bot.telemetry import Telemetry, replies_text
from bot.threads import DbThreads
from contract import HANDOFF_RESOLVED_INTENT

log = logging.getLogger(__name__)


@dataclass(eq=False)
class StaffSide:
    """What the support staff do to a case, from the staff desk."""

    cases: CaseRepository
    lifecycle: CaseLifecycle
    staff: StaffNotices
    engine: EngineClient
    delivery: Delivery
    telemetry: Telemetry
    idle: IdleTimers
    threads: DbThreads
    stats: GatewayCounters
    clock: Callable[[], datetime]

    async def on_staff_message(self, msg: StaffMessage) -> None:
        """A staff reply in a case thread: to the customer, as a person (``//`` = note)."""
        case = await self.threads.read(self.cases.case_for_thread, msg.staff_channel, msg.thread_ts)
        if case is None or msg.text.lstrip().startswith(INTERNAL_NOTE):
            return
        if not case.is_open:
            await self.staff.tell(
                case, msg.user_id, "This case is closed; the customer did not get that."
            )
            return
        name = await self.staff.agent_name(msg.user_id)
        if case.status in ("waiting", "follow_up"):  # answering the customer claims the case
            case = await self._claim(case, msg.user_id, name) or case
        address = Address.from_payload(case.address)
        if not await self.delivery.deliver(address, [text_reply(f"{name}: {msg.text}")]):
            await self.staff.thread(case, "⚠️ That message could not be delivered.")
            return
        self.stats.handoff_agent_messages.inc()
        await self.telemetry.handoff_agent_replied(case.handoff_id, at=self.clock())
        await self.telemetry.note_turn(case.conversation_id, "agent", f"{name}: {msg.text}")

    async def on_staff_action(self, action: StaffAction) -> None:
        """A card button. Resolve/Return on a case someone else claimed asks first."""
        case = await self.threads.read(self.cases.case, action.handoff_id)
        if case is None:
            return
        name = await self.staff.agent_name(action.user_id)
        label = agent_label(name, action.user_id)
        if action.kind == "dismiss":
            await self._log(case, "dismiss", action.user_id, label)
            return
        if not case.is_open:
            await self._log(case, f"{action.kind}_late", action.user_id, label)
            await self.staff.tell(case, action.user_id, f"This case is already {case.status}.")
            return
        if action.kind == "claim":
            if await self._claim(case, action.user_id, name) is None:
                await self._log(case, "claim_refused", action.user_id, label)
                await self.staff.tell(
                    case, action.user_id, f"Already claimed by {agent_display(case.agent)}."
                )
            return
        if action.kind == "no_survey":
            await self._no_survey(case, action.user_id, label)
            return
        if action.kind not in ("resolve", "return"):
            log.info("ignoring unknown staff action %r", action.kind)
            return
        if case.claimed_by and case.claimed_by != action.user_id and not action.confirmed:
            await self._log(case, f"{action.kind}_confirm", action.user_id, label)
            await self.staff.ask_confirmation(case, action.user_id, action.kind)
            return
        await self._close(case, action.kind, action.user_id, name)

    async def _log(self, case: Case, action: str, user_id: str, label: str) -> None:
        await self.threads.write(self.cases.log_action, case.handoff_id, action, user_id, label)

    async def _no_survey(self, case: Case, user_id: str, label: str) -> None:
        marked = await self.threads.write(
            self.cases.mark_no_survey, case.handoff_id, user_id, label, at=self.clock()
        )
        if not marked.won or marked.case is None:
            return
        await self.telemetry.no_survey(case.conversation_id)
        await self.staff.card(marked.case)
        await self.staff.thread(
            marked.case,
            f"No survey: {agent_display(label)} marked this case; the customer "
            "gets no survey after it.",
        )

    async def _claim(self, case: Case, user_id: str, name: str) -> Case | None:
        label = agent_label(name, user_id)
        claimed = await self.threads.write(
            self.cases.claim, case.handoff_id, user_id, label, at=self.clock()
        )
        if not claimed.won or claimed.case is None:
            return None
        case = claimed.case
        await self.telemetry.handoff_claimed(case.handoff_id, agent=label, at=case.claimed_at)
        await self.lifecycle.stop_timeout(case)
        await self.delivery.deliver(
            Address.from_payload(case.address), [text_reply(JOINED_TEXT.format(name=name))]
        )
        await self.staff.card(case)
        await self.staff.thread(case, f"Claimed by {name}.")
        return case

    async def _close(self, case: Case, kind: str, user_id: str, name: str) -> None:
        address = Address.from_payload(case.address)
        if not await self.lifecycle.resume(case.sender_id):
            await self.staff.tell(case, user_id, ENGINE_DOWN_TEXT)
            return
        status = "resolved" if kind == "resolve" else "returned"
        label = agent_label(name, user_id)
        closed = await self.threads.write(
            self.cases.close, case.handoff_id, status, user_id, label, at=self.clock()
        )
        if not closed.won or closed.case is None:
            await self.staff.tell(case, user_id, "Someone else closed this case a moment ago.")
            return
        case = closed.case
        # The agent of record is the one who claimed (and so helped); else whoever closed it.
        agent = case.agent or label
        outcome = status
        if status == "resolved" and case.claimed_at is None and case.follow_up_offered:
            outcome = "timed_out"  # nobody picked it up in time; followed up another way
        await self.lifecycle.record_close(case, outcome, agent=agent)
        if status == "resolved":
            await self.delivery.deliver(address, [text_reply(CLOSED_TEXT.format(name=name))])
            try:
                replies = await self.engine.trigger_intent(
                    case.sender_id, HANDOFF_RESOLVED_INTENT, {"agent": agent}
                )
            except EngineError as exc:
                log.error("could not start the survey after handoff %s: %s", case.handoff_id, exc)
                replies = []
            await self.delivery.deliver(address, replies)
            if replies:
                await self.telemetry.note_turn(case.conversation_id, "bot", replies_text(replies))
            note = f"Resolved by {name}; the customer gets the survey."
            if case.no_survey:
                note = f"Resolved by {name}; no survey (marked No survey)."
        else:
            await self.delivery.deliver(address, [text_reply(RETURNED_TEXT.format(name=name))])
            note = f"Returned to the bot by {name}."
        await self.idle.schedule(case.address, case.conversation_id)
        await self.lifecycle.tidy(case, note)
