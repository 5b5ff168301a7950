"""Right to erasure (``forget``) and retention (``purge``).

The telemetry tables are erased here. Other packages that keep data about customers (the
gateway's cases and timers) take part through :class:`ErasureTarget`, registered under the
``cx_telemetry.erasure`` entry-point group, so ``cx-telemetry forget`` reaches every table
without this package importing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cx_telemetry.models import (
    AppliedEvent,
    Clarification,
    Conversation,
    CustomerLink,
    Handoff,
    SurveyResponse,
    TranscriptTurn,
    VerificationAttempt,
)
from cx_telemetry.outbox import Outbox

CHUNK = 500
ENTRY_POINT_GROUP = "cx_telemetry.erasure"


@dataclass(frozen=True)
class ErasureSubject:
    """One customer to forget: raw ids (``telegram:42``) when known, the pseudonyms of their
    chats and every conversation id telemetry knew for them (including ones still in the
    outbox)."""

    customer_ids: tuple[str, ...]
    pseudonyms: tuple[str, ...]
    conversation_ids: tuple[str, ...]
    # ``forget --customer shop:<id>``: the shop customer (their chats are in ``pseudonyms``)
    shop_customer_ids: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class Found:
    """What telemetry knows of one subject: its chats (pseudonyms) and conversation ids, the
    database's and the outbox's."""

    chats: frozenset[str]
    conversation_ids: frozenset[str]


def find_subject(s: Session, outbox: Outbox, chats: set[str], customer_key: str | None) -> Found:
    """The conversations of ``chats``; with a shop ``customer_key``, first every chat that was
    ever linked to it (links, conversations that carried the key, links waiting in the
    outbox), so no chat of the customer is left out."""
    chats = set(chats)
    events = list(outbox.all_files())
    if customer_key is not None:
        chats |= set(
            s.scalars(
                select(Conversation.customer).where(Conversation.customer_key == customer_key)
            )
        )
        chats |= set(
            s.scalars(select(CustomerLink.chat).where(CustomerLink.customer_key == customer_key))
        )
        chats |= {
            str(a["customer"])
            for _, a in events
            if a.get("customer_key") == customer_key and a.get("customer")
        }
    cids: set[str] = set()
    for chunk in chunks(sorted(chats)):
        cids |= set(s.scalars(select(Conversation.id).where(Conversation.customer.in_(chunk))))
    if customer_key is not None:
        cids |= set(
            s.scalars(select(Conversation.id).where(Conversation.customer_key == customer_key))
        )
    # conversations opened while the database was down
    cids |= {str(a["id"]) for _, a in events if a.get("customer") in chats and a.get("id")}
    return Found(frozenset(chats), frozenset(cids))


def erase(s: Session, outbox: Outbox, found: Found, customer_key: str | None) -> dict[str, int]:
    """Delete what ``find_subject`` found: conversations with their survey responses,
    handoffs and verification attempts, the chats' customer links, and waiting outbox events.
    Returns the counts removed by table."""
    cids = sorted(found.conversation_ids)
    hids: set[str] = set()
    for chunk in chunks(cids):
        hids |= set(s.scalars(select(Handoff.id).where(Handoff.conversation_id.in_(chunk))))
    counts = dict.fromkeys(("conversations", "survey_responses", "handoffs"), 0)
    counts.update(verification_attempts=0, clarifications=0, transcripts=0, customer_links=0)
    tables: list[tuple[str, Any]] = [
        ("survey_responses", SurveyResponse.conversation_id),
        ("transcripts", TranscriptTurn.conversation_id),
        ("handoffs", Handoff.conversation_id),
        ("verification_attempts", VerificationAttempt.conversation_id),
        ("clarifications", Clarification.conversation_id),
        ("conversations", Conversation.id),
    ]
    for chunk in chunks(cids):
        for name, col in tables:
            result: Any = s.execute(delete(col.class_).where(col.in_(chunk)))
            counts[name] += int(result.rowcount or 0)
    links = [
        delete(CustomerLink).where(CustomerLink.chat.in_(c)) for c in chunks(sorted(found.chats))
    ]
    if customer_key is not None:
        links.append(delete(CustomerLink).where(CustomerLink.customer_key == customer_key))
    for stmt in links:
        result = s.execute(stmt)
        counts["customer_links"] += int(result.rowcount or 0)
    events = list(outbox.all_files())
    hids |= {
        str(a["id"]) for _, a in events if a.get("cid") in found.conversation_ids and a.get("id")
    }
    removed = 0
    for path, a in events:
        if (
            a.get("customer") in found.chats
            or a.get("cid") in found.conversation_ids
            or a.get("hid") in hids
            or (customer_key is not None and a.get("customer_key") == customer_key)
        ):
            path.unlink(missing_ok=True)
            removed += 1
    counts["outbox_events"] = removed
    return counts


def forget_subject(
    run: Callable[[Callable[[Session], Any]], Any],
    outbox: Outbox,
    customer_ids: tuple[str, ...],
    chats: set[str],
    customer_key: str | None,
    shop_customer_ids: tuple[str, ...],
    also: Sequence[ErasureTarget],
) -> dict[str, int]:
    """``TelemetryStore.forget`` and ``forget_shop_customer``: find the subject, let the other
    targets forget it, then erase telemetry's rows (``run`` is the store's transaction).
    The other targets go first: if one fails, telemetry still knows every chat of the
    subject, and running ``forget`` again finds them all."""
    found: Found = run(lambda s: find_subject(s, outbox, chats, customer_key))
    subject = ErasureSubject(
        customer_ids,
        tuple(sorted(found.chats)),
        tuple(sorted(found.conversation_ids)),
        shop_customer_ids,
    )
    others: dict[str, int] = {}
    for target in also:
        others.update(target.forget(subject))
    counts: dict[str, int] = run(lambda s: erase(s, outbox, found, customer_key))
    outbox_events = counts.pop("outbox_events")
    return {**counts, **others, "outbox_events": outbox_events}


def purge_all(
    run: Callable[[Callable[[Session], Any]], Any],
    cutoff: datetime,
    also: Sequence[ErasureTarget],
    transcripts_before: datetime | None,
) -> dict[str, int]:
    """``TelemetryStore.purge``: telemetry's rows from before ``cutoff`` (transcript turns from
    before ``transcripts_before`` too, when given), then the ``also`` targets' (``run`` is the
    store's transaction)."""
    counts: dict[str, int] = run(lambda s: purge_older_than(s, cutoff))
    if transcripts_before is not None:
        removed: int = run(lambda s: purge_transcripts(s, transcripts_before))
        counts["transcripts"] = counts.get("transcripts", 0) + removed
    for target in also:
        counts.update(target.purge(cutoff))
    return counts


def purge_older_than(s: Session, cutoff: datetime) -> dict[str, int]:
    """Delete conversations opened before ``cutoff`` with their responses, handoffs and
    verification attempts, plus any such record, applied-event record or customer link (by
    its end) older than ``cutoff``."""
    old = select(Conversation.id).where(Conversation.opened_at < cutoff)
    steps: list[tuple[str, Any]] = [
        ("survey_responses", delete(SurveyResponse).where(SurveyResponse.conversation_id.in_(old))),
        ("survey_responses", delete(SurveyResponse).where(SurveyResponse.asked_at < cutoff)),
        ("handoffs", delete(Handoff).where(Handoff.conversation_id.in_(old))),
        ("handoffs", delete(Handoff).where(Handoff.requested_at < cutoff)),
        (
            "verification_attempts",
            delete(VerificationAttempt).where(VerificationAttempt.conversation_id.in_(old)),
        ),
        (
            "verification_attempts",
            delete(VerificationAttempt).where(VerificationAttempt.at < cutoff),
        ),
        ("clarifications", delete(Clarification).where(Clarification.conversation_id.in_(old))),
        ("clarifications", delete(Clarification).where(Clarification.asked_at < cutoff)),
        ("transcripts", delete(TranscriptTurn).where(TranscriptTurn.conversation_id.in_(old))),
        ("transcripts", delete(TranscriptTurn).where(TranscriptTurn.at < cutoff)),
        ("customer_links", delete(CustomerLink).where(CustomerLink.expires_at < cutoff)),
        ("conversations", delete(Conversation).where(Conversation.opened_at < cutoff)),
        ("applied_events", delete(AppliedEvent).where(AppliedEvent.applied_at < cutoff)),
    ]
    counts: dict[str, int] = {}
    for name, stmt in steps:
        result: Any = s.execute(stmt)
        counts[name] = counts.get(name, 0) + int(result.rowcount or 0)
    return counts


def purge_transcripts(s: Session, before: datetime) -> int:
    """Transcript turns older than their retention (``CX_TRANSCRIPT_RETENTION_DAYS``), whatever
    the retention of the figures."""
    result: Any = s.execute(delete(TranscriptTurn).where(TranscriptTurn.at < before))
    return int(result.rowcount or 0)
