"""Right to erasure (``forget``) and retention (``purge``).

The telemetry tables are erased here. Other packages that keep data about customers (the
gateway's cases and timers) take part through :class:`ErasureTarget`, registered under the
``cx_telemetry.erasure`` entry-point group, so ``cx-telemetry forget`` reaches every table
without this package importing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cx_telemetry.models import AppliedEvent, Conversation, Handoff, SurveyResponse
from cx_telemetry.outbox import Outbox

CHUNK = 500
ENTRY_POINT_GROUP = "cx_telemetry.erasure"


@dataclass(frozen=True)
class ErasureSubject:
    """One customer to forget: raw ids (``telegram:42``), their pseudonyms and every
    conversation id telemetry knew for them (including ones still in the outbox)."""

    customer_ids: tuple[str, ...]
    pseudonyms: tuple[str, ...]
    conversation_ids: tuple[str, ...]


class ErasureTarget(Protocol):
    """A package's part of erasure and retention; returns counts of removed rows by table."""

    def forget(self, subject: ErasureSubject) -> dict[str, int]: ...

    def purge(self, cutoff: datetime) -> dict[str, int]: ...


def load_targets(env: Mapping[str, str]) -> list[ErasureTarget]:
    """The installed erasure targets, each built from ``env`` by its registered factory."""
    return [ep.load()(env) for ep in entry_points(group=ENTRY_POINT_GROUP)]


def chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    """``ids`` in slices small enough for an ``IN (...)`` on every backend."""
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i : i + CHUNK])


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


def forget_customer(s: Session, outbox: Outbox, customer: str) -> tuple[dict[str, int], set[str]]:
    """Delete the telemetry of one customer pseudonym: conversations, their survey responses
    and handoffs, and waiting outbox events. Returns the counts removed and the conversation
    ids that were the customer's (for the other erasure targets)."""
    cids = set(s.scalars(select(Conversation.id).where(Conversation.customer == customer)))
    removed_outbox = _forget_outbox(outbox, customer, cids, set())
    hids = (
        set(s.scalars(select(Handoff.id).where(Handoff.conversation_id.in_(cids))))
        if cids
        else set()
    )
    counts = {"conversations": 0, "survey_responses": 0, "handoffs": 0}
    tables: list[tuple[str, Any]] = [
        ("survey_responses", SurveyResponse.conversation_id),
        ("handoffs", Handoff.conversation_id),
        ("conversations", Conversation.id),
    ]
    for chunk in chunks(sorted(cids)):
        for name, col in tables:
            result: Any = s.execute(delete(col.class_).where(col.in_(chunk)))
            counts[name] += int(result.rowcount or 0)
    counts["outbox_events"] = removed_outbox + _forget_outbox(outbox, customer, cids, hids)
    return counts, cids


def purge_older_than(s: Session, cutoff: datetime) -> dict[str, int]:
    """Delete conversations opened before ``cutoff`` with their responses and handoffs, plus
    any response, handoff or applied-event record older than ``cutoff``."""
    old = select(Conversation.id).where(Conversation.opened_at < cutoff)
    steps: list[tuple[str, Any]] = [
        ("survey_responses", delete(SurveyResponse).where(SurveyResponse.conversation_id.in_(old))),
        ("survey_responses", delete(SurveyResponse).where(SurveyResponse.asked_at < cutoff)),
        ("handoffs", delete(Handoff).where(Handoff.conversation_id.in_(old))),
        ("handoffs", delete(Handoff).where(Handoff.requested_at < cutoff)),
        ("conversations", delete(Conversation).where(Conversation.opened_at < cutoff)),
        ("applied_events", delete(AppliedEvent).where(AppliedEvent.applied_at < cutoff)),
    ]
    counts: dict[str, int] = {}
    for name, stmt in steps:
        result: Any = s.execute(stmt)
        counts[name] = counts.get(name, 0) + int(result.rowcount or 0)
    return counts
