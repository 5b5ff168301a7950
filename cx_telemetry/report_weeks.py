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

from cx_telemetry.models import Conversation, Handoff, SurveyResponse, UTCDateTime
from cx_telemetry.report_sql import (
    Combo,
    Period,
    Sums,
    add_sums,
    filtered,
    monday,
    reading,
    response_sums,
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


def week_sums(
    engine: Engine, period: Period, buckets: list[Week], combos: set[Combo]
) -> dict[str, Sums]:
    """Sums per week label (the same names as ``report_sql.group_sums``); ``combos`` are the
    (metric, status, scale, score) combinations of the period's responses."""
    out: dict[str, Sums] = {w.label: {} for w in buckets}
    if not buckets:
        return out
    r, c, h = SurveyResponse, Conversation, Handoff
    rows = [
        select(literal(w.label, String).label("label"), literal(w.start, UTCDateTime()).label("lo"),
               literal(w.end, UTCDateTime()).label("hi"))
        for w in buckets
    ]  # fmt: skip
    table = union_all(*rows).subquery("weeks") if len(rows) > 1 else rows[0].subquery("weeks")
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

        support = c.last_support_intent.is_not(None)
        conv = select(
            func.count(),
            func.sum(case((c.synthetic.is_(True), 1), else_=0)),
            func.sum(case((support, 1), else_=0)),
            func.sum(case((and_(support, c.closed_at.is_not(None), c.has_handoff.is_(False)), 1),
                          else_=0)),
            func.sum(case((and_(support, c.has_handoff.is_(True)), 1), else_=0)),
        )  # fmt: skip
        cols: list[Any] = []
        names: list[str] = []
        for name, col in (
            ("wait", h.wait_s),
            ("first", h.first_response_s),
            ("handle", h.handle_s),
        ):
            cols += [func.count(col), func.sum(col), func.sum(col * col)]
            names += [f"{name}_n", f"{name}_sum", f"{name}_sq"]
        hand = select(func.count(), *cols)
        for w in buckets:
            stmt = filtered(conv, c.opened_at, c.synthetic, w.start, w.end, period)
            n, synthetic, sup, contained, escalated = conn.execute(stmt).one()
            add_sums(out[w.label], {"conversations": n, "synthetic": synthetic or 0,
                                "support": sup or 0, "contained": contained or 0,
                                "escalated": escalated or 0})  # fmt: skip
            stmt = filtered(hand, h.requested_at, h.synthetic, w.start, w.end, period)
            n, *vals = conn.execute(stmt).one()
            add_sums(
                out[w.label],
                {"handoffs": n, **{k: float(v or 0) for k, v in zip(names, vals, strict=True)}},
            )
    return out
