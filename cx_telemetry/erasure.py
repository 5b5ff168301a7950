"""Right to erasure (``forget``) and retention (``purge``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cx_telemetry.models import (
    AppliedEvent,
    Base,
    Conversation,
    DeliveryKey,
    Handoff,
    SurveyResponse,
    TimerRow,
)
from cx_telemetry.outbox import Outbox

CHUNK = 500


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _forget_outbox(outbox: Outbox, customer: str, cids: set[str], hids: set[str]) -> int:
    events = list(outbox.all_files())
    for _path, args in events:  # conversations and handoffs opened while the database was down
        if args.get("customer") == customer and args.get("id"):
            cids.add(str(args["id"]))
    for _path, args in events:
        if args.get("cid") in cids and args.get("id"):
            hids.add(str(args["id"]))
    removed = 0
    for path, args in events:
        if args.get("customer") == customer or args.get("cid") in cids or args.get("hid") in hids:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def forget_customer(s: Session, outbox: Outbox, customer: str) -> dict[str, int]:
    """Delete everything about one customer pseudonym: conversations, their survey responses,
    handoffs and timers, and waiting outbox events. Returns how many of each were removed."""
    cids = set(s.scalars(select(Conversation.id).where(Conversation.customer == customer)))
    removed_outbox = _forget_outbox(outbox, customer, cids, set())
    hids = (
        set(s.scalars(select(Handoff.id).where(Handoff.conversation_id.in_(cids))))
        if cids
        else set()
    )
    counts = {"conversations": 0, "survey_responses": 0, "handoffs": 0, "timers": 0}
    tables: list[tuple[str, Any]] = [
        ("survey_responses", SurveyResponse.conversation_id),
        ("handoffs", Handoff.conversation_id),
        ("timers", TimerRow.conversation_id),
        ("conversations", Conversation.id),
    ]
    for chunk in _chunks(sorted(cids)):
        for name, col in tables:
            result: Any = s.execute(delete(col.class_).where(col.in_(chunk)))
            counts[name] += int(result.rowcount or 0)
    counts.update(_forget_desk(s, customer, cids))
    counts["outbox_events"] = removed_outbox + _forget_outbox(outbox, customer, cids, hids)
    return counts


def _forget_desk(s: Session, customer: str, cids: set[str]) -> dict[str, int]:
    """The staff desk's cases (they hold names, addresses and transcripts) and their audit log,
    when that module's tables are registered (``handoff_models``)."""
    tables = Base.metadata.tables
    if "handoff_cases" not in tables:
        return {}
    cases, actions = tables["handoff_cases"], tables.get("handoff_actions")
    mine = cases.c.customer == customer
    if cids:
        mine = mine | cases.c.conversation_id.in_(sorted(cids))
    ids = list(s.scalars(select(cases.c.handoff_id).where(mine)))
    out = {"handoff_cases": 0, "handoff_actions": 0}
    for chunk in _chunks(ids):
        if actions is not None:
            result: Any = s.execute(delete(actions).where(actions.c.handoff_id.in_(chunk)))
            out["handoff_actions"] += int(result.rowcount or 0)
        result = s.execute(delete(cases).where(cases.c.handoff_id.in_(chunk)))
        out["handoff_cases"] += int(result.rowcount or 0)
    return out


def purge_older_than(s: Session, cutoff: datetime) -> dict[str, int]:
    """Delete conversations opened before ``cutoff`` with their responses, handoffs and timers,
    plus any response, handoff, delivery key or applied-event record older than ``cutoff``."""
    old = select(Conversation.id).where(Conversation.opened_at < cutoff)
    steps: list[tuple[str, Any]] = [
        ("survey_responses", delete(SurveyResponse).where(SurveyResponse.conversation_id.in_(old))),
        ("survey_responses", delete(SurveyResponse).where(SurveyResponse.asked_at < cutoff)),
        ("handoffs", delete(Handoff).where(Handoff.conversation_id.in_(old))),
        ("handoffs", delete(Handoff).where(Handoff.requested_at < cutoff)),
        ("timers", delete(TimerRow).where(TimerRow.conversation_id.in_(old))),
        ("conversations", delete(Conversation).where(Conversation.opened_at < cutoff)),
        ("delivery_keys", delete(DeliveryKey).where(DeliveryKey.seen_at < cutoff)),
        ("applied_events", delete(AppliedEvent).where(AppliedEvent.applied_at < cutoff)),
    ]
    tables = Base.metadata.tables
    if "handoff_cases" in tables:  # the staff desk's cases and audit log
        cases = tables["handoff_cases"]
        if "handoff_actions" in tables:
            actions = tables["handoff_actions"]
            steps.append(("handoff_actions", delete(actions).where(actions.c.at < cutoff)))
        steps.append(("handoff_cases", delete(cases).where(cases.c.requested_at < cutoff)))
    counts: dict[str, int] = {}
    for name, stmt in steps:
        result: Any = s.execute(stmt)
        counts[name] = counts.get(name, 0) + int(result.rowcount or 0)
    return counts
