"""The rows of the case tables as the desk's values, and the audit log's one way to grow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.handoff.customer import identity_of_row
from bot.handoff.values import Case
from bot.state.schema import HandoffAction, HandoffCase


def case_from_row(row: HandoffCase | None) -> Case | None:
    if row is None:
        return None
    return Case(
        handoff_id=row.handoff_id,
        conversation_id=row.conversation_id,
        sender_id=row.sender_id,
        channel=row.channel,
        address=dict(row.address or {}),
        customer=row.customer,
        customer_name=row.customer_name,
        reason=row.reason,
        intents=tuple(row.intents or ()),
        transcript=tuple(row.transcript or ()),
        status=row.status,
        requested_at=row.requested_at,
        claimed_at=row.claimed_at,
        claimed_by=row.claimed_by,
        agent=row.agent,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        follow_up_offered=row.follow_up_offered,
        contact_email=row.contact_email,
        no_survey=row.no_survey,
        identity=identity_of_row(row.verified_customer),
        staff_channel=row.staff_channel,
        card_ts=row.card_ts,
    )


def add_to_log(
    s: Session, hid: str, action: str, user: str | None, agent: str | None, at: datetime
) -> None:
    s.add(HandoffAction(handoff_id=hid, action=action, slack_user=user, agent=agent, at=at))
