"""Effort drivers: what in a conversation goes with a worse CES (metric definitions v5).

Over the conversations with an answered CES (1-7) asked in the period, for each driver X that
telemetry records, the mean CES of the conversations with X against those without X: n of
each, the difference (with X minus without X; negative = X goes with more effort) and its
Welch 95% interval. One SQL aggregate grouped by the driver flags (at most 16 groups), so it
stays one pass however many conversations there are. Drivers telemetry cannot tell yet
(the customer repeating themselves, a form restarted) are listed as not recorded, not guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

from sqlalchemy import Engine, and_, case, func, or_, select

from cx_telemetry.metrics import Estimate, mean_t, t975
from cx_telemetry.models import Conversation, Handoff, SurveyResponse
from cx_telemetry.report_sql import Period, filtered, reading

LONG_WAIT_S = 180.0  # a handoff wait over 3 minutes
MANY_TURNS = 8  # more than this many customer turns
DRIVERS = (
    ("fallback_or_clarification", "a fallback or clarification offered"),
    ("handoff", "handed off to an agent"),
    ("handoff_wait_over_3_min", "a handoff wait over 3 minutes"),
    (f"more_than_{MANY_TURNS}_customer_turns", f"more than {MANY_TURNS} customer turns"),
)
NOT_RECORDED = (
    ("customer_repeated", "the customer repeating themselves"),
    ("form_restarted", "a form restarted"),
)
Moments = tuple[int, float, float]  # n, sum, sum of squares


@dataclass(frozen=True)
class Driver:
    key: str
    label: str
    with_x: Estimate
    without_x: Estimate
    difference: float | None
    ci95: tuple[float, float] | None

    def as_dict(self) -> dict[str, object]:
        ci = None if self.ci95 is None else [round(self.ci95[0], 4), round(self.ci95[1], 4)]
        return {
            "label": self.label,
            "recorded": True,
            "with": self.with_x.as_dict(),
            "without": self.without_x.as_dict(),
            "difference": None if self.difference is None else round(self.difference, 4),
            "difference_ci95": ci,
        }


def welch_interval(a: Moments, b: Moments) -> tuple[float, float] | None:
    """95% Welch interval of mean(a) - mean(b); None unless both sides have n >= 2."""
    (n1, s1, q1), (n2, s2, q2) = a, b
    if n1 < 2 or n2 < 2:
        return None
    v1 = max(0.0, (q1 - s1 * s1 / n1) / (n1 - 1)) / n1
    v2 = max(0.0, (q2 - s2 * s2 / n2) / (n2 - 1)) / n2
    diff = s1 / n1 - s2 / n2
    if v1 + v2 == 0.0:
        return (diff, diff)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    half = t975(max(1, math.floor(df))) * math.sqrt(v1 + v2)
    return (diff - half, diff + half)


def _driver(key: str, label: str, a: Moments, b: Moments) -> Driver:
    with_x, without_x = mean_t(*a, lo=1, hi=7), mean_t(*b, lo=1, hi=7)
    diff = None
    if with_x.value is not None and without_x.value is not None:
        diff = with_x.value - without_x.value
    return Driver(key, label, with_x, without_x, diff, welch_interval(a, b))


def effort_drivers(engine: Engine, period: Period) -> list[Driver]:
    """The drivers of the period (answered CES asked in ``[since, until)``)."""
    c, r, h = Conversation, SurveyResponse, Handoff
    long_wait = select(h.id).where(h.conversation_id == c.id, h.wait_s > LONG_WAIT_S).exists()
    flags = (
        case((or_(c.fallback_count > 0, c.clarification_count > 0), 1), else_=0),
        case((c.has_handoff, 1), else_=0),
        case((and_(c.has_handoff, long_wait), 1), else_=0),
        case((c.customer_turns > MANY_TURNS, 1), else_=0),
    )
    stmt = (
        select(*flags, func.count(), func.sum(r.score), func.sum(r.score * r.score))
        .select_from(r)
        .join(c, c.id == r.conversation_id)
        .where(and_(r.metric == "ces", r.status == "answered", r.scale_max == 7))
        .where(r.score.is_not(None))
        .group_by(*flags)
    )
    stmt = filtered(stmt, r.asked_at, r.synthetic, period.since, period.until, period)
    with reading(engine) as conn:
        rows = conn.execute(stmt).all()
    out = []
    for i, (key, label) in enumerate(DRIVERS):
        sides = {1: [0, 0.0, 0.0], 0: [0, 0.0, 0.0]}
        for row in rows:
            side = sides[1 if row[i] else 0]
            side[0] += int(row[4])
            side[1] += float(row[5] or 0)
            side[2] += float(row[6] or 0)
        a, b = sides[1], sides[0]
        out.append(_driver(key, label, (int(a[0]), a[1], a[2]), (int(b[0]), b[1], b[2])))
    return out


def as_json(drivers: list[Driver]) -> dict[str, Any]:
    """``report --json``'s ``effort_drivers``: recorded drivers, then the not-recorded ones."""
    out: dict[str, Any] = {d.key: d.as_dict() for d in drivers}
    for key, label in NOT_RECORDED:
        out[key] = {"label": label, "recorded": False, "note": "not recorded yet"}
    return out


def _num(v: float | None, sign: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:+.2f}" if sign else f"{v:.2f}"


def _ci(ci: tuple[float, float] | None) -> str:
    return "-" if ci is None else f"[{ci[0]:+.2f}, {ci[1]:+.2f}]"


def rows(drivers: list[Driver]) -> list[list[str]]:
    """One row per driver: label, CES with (n), CES without (n), difference, 95% interval."""
    out = []
    for d in drivers:
        out.append([
            d.label, f"{_num(d.with_x.value)} n={d.with_x.n:,}",
            f"{_num(d.without_x.value)} n={d.without_x.n:,}", _num(d.difference, True),
            _ci(d.ci95),
        ])  # fmt: skip
    for _, label in NOT_RECORDED:
        out.append([label, "not recorded yet", "", "", ""])
    return out


HEADER = ("driver (X)", "CES with X", "CES without X", "difference", "95% interval")
NOTE = ("mean CES (1-7, higher = easier) of conversations with an answered CES; difference = "
        "with X minus without X, Welch 95% interval; negative = X goes with more effort")  # fmt: skip


def html(drivers: list[Driver]) -> str:
    head = "".join(f'<th class="num">{escape(t)}</th>' for t in HEADER[1:])
    body = ""
    for row in rows(drivers):
        cells = "".join(f'<td class="num">{escape(v)}</td>' for v in row[1:])
        body += f"<tr><th>{escape(row[0])}</th>{cells}</tr>"
    return (f'<div class="scroll"><table><thead><tr><th>{escape(HEADER[0])}</th>{head}</tr>'
            f'</thead><tbody>{body}</tbody></table></div><p class="note">{escape(NOTE)}.</p>')  # fmt: skip
