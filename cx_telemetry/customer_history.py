"""A customer's previous conversations, on any channel, for the staff card of a handoff: when,
where, about what, how each ended and what the customer scored it. Read by the customer key
(one shop customer across channels once verified), so it holds no raw id either."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract import utcnow
from cx_telemetry.events.common import real_conversation_id
from cx_telemetry.models import Conversation, SurveyResponse
from cx_telemetry.store_core import StoreCore

__all__ = ["HISTORY_DAYS", "PastConversation", "previous_conversations"]

HISTORY_DAYS = 30
HISTORY_LIMIT = 10  # the newest ones; a card is not an archive


@dataclass(frozen=True)
class PastConversation:
    """One earlier conversation: ``outcome`` contained | escalated | abandoned (None while
    open); ``scores`` the answered survey questions, metric -> score (csat 1-5, ces 1-7,
    nps 0-10)."""

    channel: str
    opened_at: datetime
    intent: str | None
    outcome: str | None
    recontacted: bool
    scores: dict[str, int]


def previous_conversations(
    store: StoreCore,
    customer_key: str,
    besides: str | None = None,
    now: datetime | None = None,
    days: int = HISTORY_DAYS,
) -> list[PastConversation]:
    """The customer's conversations opened in the last ``days`` days, newest first (at most
    ten), leaving out ``besides`` (the one being handed off) and synthetic ones."""
    since = (now or utcnow()) - timedelta(days=days)

    def read(s: Session) -> list[PastConversation]:
        c = Conversation
        stmt = (
            select(c.id, c.channel, c.opened_at, c.last_support_intent, c.outcome, c.recontacted)
            .where(c.customer_key == customer_key, c.opened_at >= since, c.synthetic.is_(False))
            .order_by(c.opened_at.desc(), c.id)
            .limit(HISTORY_LIMIT + 1)
        )
        skip = real_conversation_id(s, besides) if besides else None  # an outage's alias too
        rows = [r for r in s.execute(stmt) if r.id != skip][:HISTORY_LIMIT]
        scores: dict[str, dict[str, int]] = {r.id: {} for r in rows}
        if rows:
            r = SurveyResponse
            answered = select(r.conversation_id, r.metric, r.score).where(
                r.conversation_id.in_(list(scores)), r.status == "answered", r.score.is_not(None)
            )
            for cid, metric, score in s.execute(answered):
                scores[cid][metric] = int(score)
        return [
            PastConversation(row.channel, row.opened_at, row.last_support_intent, row.outcome,
                             bool(row.recontacted), scores[row.id])
            for row in rows
        ]  # fmt: skip

    return store.read(read)
