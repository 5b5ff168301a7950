"""Handoff events: requested, claimed, first agent reply, resolved (the first of each wins)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cx_telemetry.events.common import Args, as_time, from_conversation, insert_for
from cx_telemetry.models import Conversation, Handoff


def handoff_requested(s: Session, a: Args) -> str:
    """Reuse the conversation's open handoff (``reuse``) or create ``a["id"]``."""
    if s.get(Handoff, a["id"]) is not None:
        return str(a["id"])
    open_h = select(Handoff.id).where(
        Handoff.conversation_id == a["cid"], Handoff.resolved_at.is_(None)
    )
    at = as_time(a["at"])
    if a.get("reuse", True):
        existing = s.scalar(open_h)
        if existing:
            return existing
    else:  # replayed: later events use a["id"]; an older open handoff is superseded
        s.execute(
            update(Handoff)
            .where(Handoff.conversation_id == a["cid"], Handoff.resolved_at.is_(None))
            .values(resolved_at=at, outcome="cancelled")
        )
    conv = s.get(Conversation, a["cid"])
    s.execute(
        insert_for(s, Handoff)
        .values(
            id=a["id"],
            conversation_id=a["cid"],
            reason=a.get("reason"),
            requested_at=at,
            **{k: v for k, v in from_conversation(conv).items() if k != "model_version"},
        )
        .on_conflict_do_nothing()
    )
    if conv is not None:
        conv.has_handoff = True
    if s.get(Handoff, a["id"]) is not None:
        return str(a["id"])
    return str(s.scalar(open_h))


def _seconds(end: datetime, start: datetime | None) -> float | None:
    return None if start is None else max(0.0, (end - start).total_seconds())


def handoff_claimed(s: Session, a: Args) -> None:
    h = s.scalar(select(Handoff).where(Handoff.id == a["hid"]).with_for_update())
    if h is None or h.claimed_at is not None:
        return
    at = as_time(a["at"])
    h.claimed_at, h.agent, h.wait_s = at, a["agent"], _seconds(at, h.requested_at)
    s.execute(
        update(Conversation).where(Conversation.id == h.conversation_id).values(agent=a["agent"])
    )


def handoff_agent_replied(s: Session, a: Args) -> None:
    h = s.scalar(select(Handoff).where(Handoff.id == a["hid"]).with_for_update())
    if h is None or h.first_reply_at is not None:
        return
    at = as_time(a["at"])
    h.first_reply_at, h.first_response_s = at, _seconds(at, h.requested_at)


def handoff_resolved(s: Session, a: Args) -> None:
    h = s.scalar(select(Handoff).where(Handoff.id == a["hid"]).with_for_update())
    if h is None or h.resolved_at is not None:
        return
    at = as_time(a["at"])
    h.resolved_at, h.outcome = at, a["outcome"]
    h.handle_s = _seconds(at, h.claimed_at)
    if a.get("agent"):
        h.agent = a["agent"]
