"""The Follow up button of an alert: a case on the staff desk for that customer, claimed by
whoever pressed it, through the handoff desk's own machinery.

The case is an ordinary handoff case (``bot/handoff/cases.py``) with reason
``detractor_follow_up``: its card and thread are in the staff channel, the customer is told in
their own chat that a person is following up, their replies go to the thread
(``HandoffRouter.intercept``) and the agent's thread replies to them (``StaffSide``), until
Resolve or Return to bot. It has no telemetry handoff (no conversation id), so follow-ups never
count in the escalation, wait or handle-time figures. One case per alert, whoever presses.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.alerts.desk import AlertDesk
from bot.alerts.store import AlertStore
from bot.alerts.texts import (
    ALREADY_TEXT,
    FAILED_TEXT,
    FOLLOW_UP_TEXT,
    NO_CHAT_TEXT,
    NO_DESK_TEXT,
    OPEN_CASE_TEXT,
    UNREACHED_TEXT,
)
from bot.alerts.values import FOLLOW_UP_REASON, AlertRecord, FollowUpPress
from bot.delivery import Delivery
from bot.handoff.cases import CaseRepository
from bot.handoff.staff_desk import StaffNotices
from bot.handoff.values import Case, agent_label
from bot.messages import Address, text_reply
from bot.telemetry import Telemetry
from bot.threads import DbThreads

log = logging.getLogger(__name__)


@dataclass(eq=False)
class FollowUps:
    alerts: AlertStore
    desk: AlertDesk
    cases: CaseRepository
    staff: StaffNotices
    delivery: Delivery
    telemetry: Telemetry
    threads: DbThreads
    clock: Callable[[], datetime]

    async def on_press(self, press: FollowUpPress) -> None:
        record = await self.threads.read(self.alerts.record, press.key)
        if record is None or record.alert is None or not record.alert_channel:
            return  # not a card of ours (or erased since)
        channel = record.alert_channel
        if record.handoff_id is not None:
            await self.desk.tell(channel, press.user_id, ALREADY_TEXT)
            return
        if record.address is None or record.sender_id is None:
            await self.desk.tell(channel, press.user_id, NO_CHAT_TEXT)
            return
        if not self.staff.configured:
            await self.desk.tell(channel, press.user_id, NO_DESK_TEXT)
            return
        hid = uuid.uuid4().hex
        if not await self.threads.write(self.alerts.follow_up, press.key, hid, press.user_id):
            await self.desk.tell(channel, press.user_id, ALREADY_TEXT)
            return
        try:
            case = await self._open(record, hid, press.user_id)
        except Exception:
            log.exception("could not open the follow-up case of alert %s", press.key)
            await self.threads.write(self.alerts.set_follow_up_case, press.key, None)
            await self.desk.tell(channel, press.user_id, FAILED_TEXT)
            return
        if case is not None and record.card_ts:
            shown = replace(record.alert, followed_up_by=press.user_id)
            try:
                await self.desk.update_alert(channel, record.card_ts, shown)
            except Exception:
                log.exception("could not update the card of alert %s", press.key)

    async def _open(self, record: AlertRecord, hid: str, user_id: str) -> Case | None:
        """Open, post and claim the case, and tell the customer; the customer's open case
        instead when they have one (noted in its thread)."""
        assert record.alert is not None and record.address is not None and record.sender_id
        alert = record.alert
        name = await self.staff.agent_name(user_id)
        address = Address.from_payload(record.address)
        opened = await self.threads.write(
            self.cases.open_case,
            hid,
            sender_id=record.sender_id,
            channel=address.channel,
            address=record.address,
            customer=self.telemetry.pseudonym(record.sender_id),
            customer_name=await self.delivery.display_name(address),
            reason=FOLLOW_UP_REASON,
            intents=[alert.intent] if alert.intent else [],
            transcript=list(alert.transcript),
            at=self.clock(),
        )
        case = opened.case
        if case is None:
            raise LookupError(f"case {hid} was not written")
        score = f"{alert.metric.upper()} {alert.score}/{alert.scale_max}"
        if not opened.won:
            await self.threads.write(self.alerts.set_follow_up_case, record.key, case.handoff_id)
            await self.staff.thread(case, f"{name} wants to follow up on this customer's {score}.")
            await self.desk.tell(record.alert_channel or "", user_id, OPEN_CASE_TEXT)
            return case
        try:
            staff_channel, ts = await self.staff.post_card(case)
        except Exception:
            await self.threads.write(self.cases.close, hid, "cancelled", at=self.clock())
            raise
        await self.threads.write(self.cases.set_card, hid, staff_channel, ts)
        claimed = await self.threads.write(
            self.cases.claim, hid, user_id, agent_label(name, user_id), at=self.clock()
        )
        case = claimed.case or case
        await self.staff.card(case)
        await self.staff.thread(
            case,
            f"Follow-up of a {score} by {name}. Reply in this thread to write to the customer; "
            "Resolve or Return to bot when you are done.",
        )
        if not await self.delivery.deliver(address, [text_reply(FOLLOW_UP_TEXT.format(name=name))]):
            await self.staff.thread(case, UNREACHED_TEXT)
        return case
