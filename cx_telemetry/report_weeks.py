"""Weekly sums for the trends and ``--by week``: one aggregate per week, on time-ordered indexes.

Weeks start on Monday (UTC) and are clipped to the period; a clipped week is *partial* and is
drawn and labelled as such. Survey responses are counted per score combination and week
(``ix_survey_responses_report_days`` leads with metric, status, scale and score, then the
time), which reads each index entry once and sorts nothing; conversations and handoffs sum
their week's range of the time-first report indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, String, and_, case, func, literal, select, union_all

from cx_telemetry.db import UTCDateTime
from cx_telemetry.models import Conversation, Handoff, SurveyResponse
from cx_telemetry.report_sql import (
    Combo,
    Period,
    Sums,
    add_sums,
    filtered,
    monday,
    reading,
    response_sums,
    run,
    settled_before,
)  # fmt: skip


@dataclass(frozen=True)
class Week:
    """One bucket: the Monday it belongs to (``label``, YYYY-MM-DD) and its clipped range."""

    label: str
    start: datetime
    end: datetime

    @property
    def partial(self) -> bool:
        return self.end - self.start < timedelta(days=7)

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


def weeks(start: datetime, end: datetime) -> list[Week]:
    """The weeks from ``start`` to ``end`` (exclusive), clipped at both ends."""
    out = []
    w = monday(start)
    while w < end:
        out.append(Week(w.date().isoformat(), max(w, start), min(w + timedelta(days=7), end)))
        w += timedelta(days=7)
    return out


Weekly = dict[str, Sums]


def _weeks_table(buckets: list[Week]) -> Any:
    rows = [
        select(literal(w.label, String).label("label"), literal(w.start, UTCDateTime()).label("lo"),
               literal(w.end, UTCDateTime()).label("hi"))
        for w in buckets
    ]  # fmt: skip
    return union_all(*rows).subquery("weeks") if len(rows) > 1 else rows[0].subquery("weeks")


def response_weeks(
    engine: Engine, period: Period, buckets: list[Week], combos: set[Combo]
) -> Weekly:
    """Survey sums per week: one range count per week for each (metric, status, scale, score)
    combination of the period (``combos``, from ``report_sql.group_tasks``)."""
    r, table = SurveyResponse, _weeks_table(buckets)
    out: Weekly = {w.label: {} for w in buckets}
    with reading(engine) as conn:
        for metric, status, scale, score in sorted(combos, key=str):
            cond = [r.metric == metric, r.status == status, r.scale_max == scale,
                    r.score.is_(None) if score is None else r.score == score,
                    r.asked_at >= table.c.lo, r.asked_at < table.c.hi]  # fmt: skip
            if period.exclude_synthetic:
                cond.append(r.synthetic.is_(False))
            count = select(func.count()).where(*cond).scalar_subquery()
            sums = response_sums(metric, status, scale, score)
            for label, n in conn.execute(select(table.c.label, count)):
                if n:
                    add_sums(out[label], sums, n)
    return out


def conversation_weeks(engine: Engine, period: Period, buckets: list[Week]) -> Weekly:
    """Conversation sums per week, one range aggregate each on ``ix_conversations_report``;
    durable containment's re-contacted ones from ``ix_conversations_recontacted``. A week is
    settled up to the period's cut-off (``report_sql.settled_before``), as the whole period."""
    c = Conversation
    support = c.last_support_intent.is_not(None)
    contained = and_(support, c.closed_at.is_not(None), c.has_handoff.is_(False))
    settled = c.closed_at <= settled_before(period, period.until)
    stmt = select(
        func.count(),
        func.count(c.last_support_intent),  # with a support intent: cheaper than a CASE
        func.sum(case((contained, 1), else_=0)),
        func.sum(case((and_(support, c.has_handoff.is_(True)), 1), else_=0)),
        func.sum(case((and_(support, settled), 1), else_=0)),
        func.sum(case((and_(contained, settled), 1), else_=0)),
    )
    back = select(func.count()).where(c.recontacted, ~c.has_handoff, support, settled)
    out: Weekly = {}
    with reading(engine) as conn:
        for w in buckets:
            week = filtered(stmt, c.opened_at, c.synthetic, w.start, w.end, period)
            n, sup, done, escalated, known, kept = conn.execute(week).one()
            again = run(conn, filtered(back, c.opened_at, c.synthetic, w.start, w.end, period),
                        "ix_conversations_recontacted")[0][0]  # fmt: skip
            out[w.label] = {"conversations": n, "support": sup or 0,
                            "contained": done or 0, "escalated": escalated or 0,
                            "settled": known or 0, "durable": (kept or 0) - again}  # fmt: skip
    return out


def handoff_weeks(engine: Engine, period: Period, buckets: list[Week]) -> Weekly:
    """Handoff duration sums per week on ``ix_handoffs_report``."""
    h = Handoff
    cols: list[Any] = []
    names: list[str] = []
    for name, col in (("wait", h.wait_s), ("first", h.first_response_s), ("handle", h.handle_s)):
        cols += [func.count(col), func.sum(col), func.sum(col * col)]
        names += [f"{name}_n", f"{name}_sum", f"{name}_sq"]
    stmt = select(func.count(), *cols)
    out: Weekly = {}
    with reading(engine) as conn:
        for w in buckets:
            week = filtered(stmt, h.requested_at, h.synthetic, w.start, w.end, period)
            n, *vals = conn.execute(week).one()
            out[w.label] = {
                "handoffs": n,
                **{k: float(v or 0) for k, v in zip(names, vals, strict=True)},
            }
    return out


def merge_weeks(parts: list[Weekly], buckets: list[Week]) -> Weekly:
    out: Weekly = {w.label: {} for w in buckets}
    for part in parts:
        for label, sums in part.items():
            add_sums(out[label], sums)
    return out


def week_sums(engine: Engine, period: Period, buckets: list[Week], combos: set[Combo]) -> Weekly:
    """Sums per week label (the same names as ``report_sql.group_sums``), one after another."""
    if not buckets:
        return {}
    parts = [response_weeks(engine, period, buckets, combos),
             conversation_weeks(engine, period, buckets), handoff_weeks(engine, period, buckets)]  # fmt: skip
    return merge_weeks(parts, buckets)
