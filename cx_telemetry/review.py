"""``cx-telemetry review``: the review queue, the conversations behind low scores.

A conversation is in the queue when a CSAT answer is at or below ``max_csat`` or a CES answer at
or below ``max_ces`` (survey.yml's defaults, 2 and 3). Each entry carries its scores, comments,
intent, segment, agent and channel, and the redacted transcript (as long as its retention keeps
it). Newest first. Read in pages of conversations, so an export of many stays in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, and_, func, or_, select

from cx_telemetry.models import SurveyResponse, TranscriptTurn
from cx_telemetry.report_sql import reading

PAGE = 500  # conversations per round trip
DEFAULT_MAX_CSAT, DEFAULT_MAX_CES = 2, 3


@dataclass(frozen=True)
class ReviewFilter:
    since: datetime | None = None
    until: datetime | None = None
    intent: str | None = None
    agent: str | None = None
    channel: str | None = None
    max_csat: int = DEFAULT_MAX_CSAT
    max_ces: int = DEFAULT_MAX_CES


@dataclass
class Review:
    """One low-score conversation as a CX lead reviews it."""

    conversation_id: str
    asked_at: datetime
    channel: str | None
    intent: str | None
    segment: str
    agent: str | None
    scores: dict[str, int] = field(default_factory=dict)  # metric -> score (answered ones)
    comments: dict[str, str] = field(default_factory=dict)  # metric -> redacted comment
    transcript: list[tuple[datetime, str, str]] = field(default_factory=list)  # at, by, text

    def transcript_text(self) -> str:
        """``Customer: ...`` lines, one per turn."""
        return "\n".join(f"{by.capitalize()}: {text}" for _, by, text in self.transcript)


def _low(f: ReviewFilter) -> object:
    r = SurveyResponse
    answered = r.status == "answered"
    return and_(
        answered,
        or_(
            and_(r.metric == "csat", r.score <= f.max_csat),
            and_(r.metric == "ces", r.score <= f.max_ces),
        ),
    )


def _conversations(engine: Engine, f: ReviewFilter) -> Iterator[list[tuple[str, datetime]]]:
    """Pages of (conversation id, when its survey was asked), newest first."""
    r = SurveyResponse
    newest = func.max(r.asked_at).label("asked")
    stmt = select(r.conversation_id, newest).where(_low(f))  # type: ignore[arg-type]
    if f.since is not None:
        stmt = stmt.where(r.asked_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(r.asked_at < f.until)
    if f.intent:
        stmt = stmt.where(r.intent == f.intent)
    if f.agent:
        stmt = stmt.where(r.agent == f.agent)
    if f.channel:
        stmt = stmt.where(r.channel == f.channel)
    stmt = stmt.group_by(r.conversation_id).order_by(newest.desc(), r.conversation_id)
    with reading(engine) as conn:
        rows = conn.execute(stmt).all()
    for start in range(0, len(rows), PAGE):
        yield [(str(cid), asked) for cid, asked in rows[start : start + PAGE]]


def reviews(engine: Engine, f: ReviewFilter, limit: int | None = None) -> Iterator[Review]:
    """The review queue, newest first (at most ``limit`` entries)."""
    shown = 0
    for page in _conversations(engine, f):
        for review in _page(engine, page):
            if limit is not None and shown >= limit:
                return
            shown += 1
            yield review


def _page(engine: Engine, page: Sequence[tuple[str, datetime]]) -> list[Review]:
    ids = [cid for cid, _ in page]
    r, t = SurveyResponse, TranscriptTurn
    found: dict[str, Review] = {}
    with reading(engine) as conn:
        responses = conn.execute(
            select(
                r.conversation_id,
                r.metric,
                r.score,
                r.status,
                r.comment,
                r.channel,
                r.intent,
                r.segment,
                r.agent,
            )  # fmt: skip
            .where(r.conversation_id.in_(ids))
            .order_by(r.id)
        ).all()
        turns = conn.execute(
            select(t.conversation_id, t.at, t.by, t.text)
            .where(t.conversation_id.in_(ids))
            .order_by(t.conversation_id, t.id)
        ).all()
    asked = dict(page)
    for cid, metric, score, status, comment, channel, intent, segment, agent in responses:
        review = found.get(cid)
        if review is None:
            review = found[cid] = Review(cid, asked[cid], channel, intent, segment, agent)
        if status == "answered" and score is not None:
            review.scores[metric] = int(score)
        if comment:
            review.comments[metric] = comment
    for cid, at, by, text in turns:
        if cid in found:
            found[cid].transcript.append((at, by, text))
    return [found[cid] for cid in ids if cid in found]


def render(entries: Sequence[Review], f: ReviewFilter) -> str:
    """The queue in a terminal: one block per conversation."""
    if not entries:
        return (
            f"No conversations with CSAT <= {f.max_csat} or CES <= {f.max_ces} "
            "match these filters.\n"
        )
    out = [f"{len(entries)} conversation{'s' if len(entries) != 1 else ''} "
           f"with CSAT <= {f.max_csat} or CES <= {f.max_ces}, newest first"]  # fmt: skip
    for e in entries:
        scores = ", ".join(f"{m.upper()} {s}" for m, s in sorted(e.scores.items()))
        who = f"agent {e.agent}" if e.segment == "agent" and e.agent else "bot"
        out.append(
            f"\n== {e.asked_at:%Y-%m-%d %H:%M} UTC · {scores} · {e.intent or 'no intent'} · "
            f"{e.channel or '?'} · {who} · {e.conversation_id}"
        )
        for metric, comment in sorted(e.comments.items()):
            out.append(f'   {metric.upper()} comment: "{comment}"')
        if e.transcript:
            out.extend(f"   {line}" for line in e.transcript_text().splitlines())
        else:
            out.append("   (no transcript: none was kept, or its retention has passed)")
    return "\n".join(out) + "\n"
