"""The sums behind every figure of ``cx-telemetry report``: a few SQL aggregates per table.

Two kinds of query, each laid over a covering index so the database never sorts the rows:

* **by group** (``group_sums``): ``GROUP BY`` channel, intent, agent, segment (and, for survey
  responses, metric, status, scale and score) over the ``*_report_groups`` indexes, whose
  leading columns are exactly those keys, so SQLite aggregates while it scans; once for the
  period and once for the previous period of equal length.
* **by week** (``report_weeks.week_sums``): one aggregate per week range on the time-ordered indexes
  (survey responses: a count per score combination from ``ix_survey_responses_report_days``).

Everything returned is an additive sum (counts, sums, sums of squares), so groups roll up in
Python (``rollup``) into the overall figures, the breakdowns and the charts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, Select, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from cx_telemetry.db import SQLITE_CACHE_KIB, is_unavailable, unavailable_message
from cx_telemetry.errors import StoreUnavailable
from cx_telemetry.events.customers import RECONTACT_WINDOW
from cx_telemetry.models import Conversation, Handoff, SurveyResponse

Sums = dict[str, float]
GroupKey = tuple[str, str, str, str, str]  # part, channel, intent, agent, segment
CURRENT, PREVIOUS = "current", "previous"
NONE = "(none)"
BOT_AGENT, UNCLAIMED = "(bot)", "(unclaimed)"
REPORT_SQLITE_CACHE_KIB = 8192


@dataclass(frozen=True)
class Period:
    """``since`` inclusive, ``until`` exclusive (None = open). With a ``since`` the previous
    period of equal length is aggregated too. ``now`` stands for an open ``until``."""

    since: datetime | None = None
    until: datetime | None = None
    exclude_synthetic: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def end(self) -> datetime:
        return self.until or self.now

    @property
    def previous(self) -> tuple[datetime, datetime] | None:
        if self.since is None or self.end <= self.since:
            return None
        return self.since - (self.end - self.since), self.since


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only connection; an unreachable database or a missing table (or report index)
    becomes ``StoreUnavailable`` with the fix."""
    try:
        with engine.connect().execution_options(readonly=True) as conn:
            if conn.dialect.name != "sqlite":
                yield conn
                return
            # one pass over an index gains nothing from a big page cache; several of these run
            # at once, so keep each small (peak memory), and give the pool's default back
            conn.exec_driver_sql(f"PRAGMA cache_size = -{REPORT_SQLITE_CACHE_KIB}")
            try:
                yield conn
            finally:
                conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    except SQLAlchemyError as err:
        if "no such index" in str(err):
            raise StoreUnavailable(
                f"the report indexes are missing in {engine.url.render_as_string()}: "
                "run `cx-telemetry migrate`"
            ) from err
        if is_unavailable(err):
            raise StoreUnavailable(unavailable_message(engine.url, err)) from err
        raise


def run(conn: Connection, stmt: Any, index: str | None = None) -> Sequence[Any]:
    """Execute ``stmt``; on SQLite pin it to ``index`` (``INDEXED BY``): the planner would
    otherwise range-scan the time index and sort, several times slower."""
    if index is None or conn.dialect.name != "sqlite":
        return conn.execute(stmt).all()
    sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
    table = stmt.get_final_froms()[0].name
    sql = sql.replace(f"FROM {table} ", f"FROM {table} INDEXED BY {index} ", 1)
    return conn.exec_driver_sql(sql).all()


def filtered(stmt: Select[Any], when: Any, synthetic: Any, lo: datetime | None,
              hi: datetime | None, period: Period) -> Select[Any]:  # fmt: skip
    if lo is not None:
        stmt = stmt.where(when >= lo)
    if hi is not None:
        stmt = stmt.where(when < hi)
    if period.exclude_synthetic:
        stmt = stmt.where(synthetic.is_(False))
    return stmt


def settled_before(period: Period, hi: datetime | None) -> datetime:
    """Conversations closed by then are past their re-contact window at the end of a part
    (``hi``, or now for an open period): whether they were re-contacted is known."""
    return (hi or period.now) - RECONTACT_WINDOW


def response_sums(metric: str, status: str, scale_max: int, score: int | None) -> Sums:
    """What one survey response adds to the sums (see ``report_figures.FIGURES``)."""
    s: Sums = {}
    answered = status == "answered" and score is not None
    if metric == "csat":
        s["csat_asked"] = 1
        s["csat_answered"] = float(status == "answered")
        if answered and scale_max == 5:
            assert score is not None
            s.update({"csat_n": 1, "csat_k": float(score >= 4), "csat_low": float(score <= 2),
                      f"csat_{score}": 1})  # fmt: skip
    elif metric == "ces" and answered and scale_max == 7:
        assert score is not None
        s.update({"ces_n": 1, "ces_k": float(score >= 5), "ces_sum": score,
                  "ces_sq": score * score, f"ces_{score}": 1})  # fmt: skip
    elif metric == "nps" and answered and scale_max == 10:
        assert score is not None
        # NPS is the mean of +100 (promoter, 9-10), 0 (passive, 7-8) and -100 (detractor, 0-6)
        points = 100.0 if score >= 9 else -100.0 if score <= 6 else 0.0
        s.update({"nps_n": 1, "nps_sum": points, "nps_sq": points * points,
                  "nps_promoters": float(score >= 9), "nps_detractors": float(score <= 6),
                  f"nps_{score}": 1})  # fmt: skip
    return s


def add_sums(target: Sums, sums: Sums, times: float = 1.0) -> None:
    for name, value in sums.items():
        target[name] = target.get(name, 0.0) + value * times


def _parts(period: Period) -> list[tuple[str, datetime | None, datetime | None]]:
    parts: list[tuple[str, datetime | None, datetime | None]] = [
        (CURRENT, period.since, period.until)
    ]
    if period.previous:
        parts.append((PREVIOUS, *period.previous))
    return parts


Combo = tuple[str, str, int, "int | None"]  # metric, status, scale_max, score


Target = dict[GroupKey, Sums]
Partial = tuple[Target, set[Combo]]


def group_tasks(engine: Engine, period: Period) -> list[Callable[[], Partial]]:
    """One task per table and part (CURRENT, and PREVIOUS when the period has a start), each on
    its own connection, so they can run side by side; ``merge`` adds their results up."""
    return [
        partial(_on_own_connection, engine, fn, period, part, lo, hi)
        for part, lo, hi in _parts(period)
        for fn in (_responses, _conversations, _recontacts, _handoffs)
    ]


def _on_own_connection(engine: Engine, fn: Callable[..., set[Combo]], period: Period,
                       part: str, lo: datetime | None, hi: datetime | None) -> Partial:  # fmt: skip
    out: Target = defaultdict(dict)
    with reading(engine) as conn:
        seen = fn(conn, period, part, lo, hi, out)
    return dict(out), seen if part == CURRENT else set()


def merge(partials: Sequence[Partial]) -> Partial:
    """The sums of every task, and the score combinations of the period's responses."""
    out: Target = defaultdict(dict)
    combos: set[Combo] = set()
    for sums, seen in partials:
        for key, s in sums.items():
            add_sums(out[key], s)
        combos |= seen
    return dict(out), combos


def group_sums(engine: Engine, period: Period) -> Target:
    """Sums per (part, channel, intent, agent, segment); part is CURRENT or PREVIOUS (the
    latter only when the period has a start). One scan per table and part."""
    return merge([task() for task in group_tasks(engine, period)])[0]


def _responses(conn: Connection, period: Period, part: str, lo: datetime | None,
               hi: datetime | None, out: Target) -> set[Combo]:  # fmt: skip
    r = SurveyResponse
    keys = (r.channel, r.intent, r.agent, r.segment, r.metric, r.status, r.scale_max, r.score)
    stmt = filtered(select(*keys, func.count()).group_by(*keys), r.asked_at, r.synthetic,
                    lo, hi, period)  # fmt: skip
    seen: dict[Combo, Sums] = {}
    for ch, intent, agent, seg, metric, status, scale, score, n in run(
        conn, stmt, "ix_survey_responses_report_groups"
    ):
        combo = (metric, status, scale, score)
        if combo not in seen:
            seen[combo] = response_sums(*combo)
        dims = (ch or NONE, intent or NONE, agent or BOT_AGENT, seg)
        add_sums(out[(part, *dims)], seen[combo], n)
    return set(seen)


def _conversations(conn: Connection, period: Period, part: str, lo: datetime | None,
                   hi: datetime | None, out: Target) -> set[Combo]:  # fmt: skip
    c = Conversation
    keys = (c.channel, c.last_support_intent, c.agent, c.has_handoff, c.synthetic)
    settled = func.count(case((c.closed_at <= settled_before(period, hi), 1)))
    stmt = filtered(select(*keys, func.count(), func.count(c.closed_at), settled).group_by(*keys),
                    c.opened_at, c.synthetic, lo, hi, period)  # fmt: skip
    for ch, intent, agent, handoff, synthetic, n, closed, known in run(
        conn, stmt, "ix_conversations_report_groups"
    ):
        dims = (ch or NONE, intent or NONE, agent or BOT_AGENT, "agent" if handoff else "bot")
        support = n if intent is not None else 0
        add_sums(out[(part, *dims)], {
            "conversations": n, "synthetic": n if synthetic else 0, "support": support,
            "contained": closed if support and not handoff else 0,
            "escalated": support if handoff else 0,
            # durable containment: of the support conversations whose re-contact window had
            # passed by the end of the part, those contained; ``_recontacts`` takes away the
            # re-contacted ones (sums stay additive across the two queries)
            "settled": known if support else 0,
            "durable": known if support and not handoff else 0,
        })  # fmt: skip
    return set()


def _recontacts(conn: Connection, period: Period, part: str, lo: datetime | None,
                hi: datetime | None, out: Target) -> set[Combo]:  # fmt: skip
    """The contained, settled conversations that were re-contacted, from a partial index of
    just those rows (its condition written exactly as the index's, so both databases use it)."""
    c = Conversation
    keys = (c.channel, c.last_support_intent, c.agent)
    stmt = filtered(
        select(*keys, func.count())
        .where(c.recontacted, ~c.has_handoff, c.last_support_intent.is_not(None),
               c.closed_at <= settled_before(period, hi))
        .group_by(*keys),
        c.opened_at, c.synthetic, lo, hi, period,
    )  # fmt: skip
    for ch, intent, agent, n in run(conn, stmt, "ix_conversations_recontacted"):
        dims = (ch or NONE, intent or NONE, agent or BOT_AGENT, "bot")
        add_sums(out[(part, *dims)], {"durable": -n, "recontacted": n})
    return set()


def _handoffs(conn: Connection, period: Period, part: str, lo: datetime | None,
              hi: datetime | None, out: Target) -> set[Combo]:  # fmt: skip
    h = Handoff
    keys = (h.channel, h.intent, h.agent, h.outcome)
    cols: list[Any] = [func.count()]
    names: list[str] = []
    for name, col in (("wait", h.wait_s), ("first", h.first_response_s), ("handle", h.handle_s)):
        cols += [func.count(col), func.sum(col), func.sum(col * col)]
        names += [f"{name}_n", f"{name}_sum", f"{name}_sq"]
    stmt = filtered(select(*keys, *cols).group_by(*keys), h.requested_at, h.synthetic,
                    lo, hi, period)  # fmt: skip
    for ch, intent, agent, outcome, n, *vals in run(conn, stmt, "ix_handoffs_report_groups"):
        dims = (ch or NONE, intent or NONE, agent or UNCLAIMED, "agent")
        sums = {k: float(v or 0) for k, v in zip(names, vals, strict=True)}
        resolved = n if outcome == "resolved" and agent is not None else 0
        add_sums(out[(part, *dims)], {**sums, "handoffs": n, "resolved": resolved})
    return set()


def rollup(groups: dict[GroupKey, Sums], part: str, positions: Sequence[int]) -> dict[Any, Sums]:
    """Add up the groups of ``part`` onto the dimensions kept (1 channel, 2 intent, 3 agent,
    4 segment; ``[]`` = one overall group ``()``)."""
    out: dict[Any, Sums] = defaultdict(dict)
    for key, sums in groups.items():
        if key[0] == part:
            add_sums(out[tuple(key[i] for i in positions)], sums)
    return dict(out)


def monday(day: datetime) -> datetime:
    """Midnight UTC of the Monday of the week that holds ``day``."""
    d = day.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return d - timedelta(days=d.weekday())


def first_opened(engine: Engine, period: Period) -> datetime | None:
    """When the first conversation of the period opened (the start of an open period)."""
    c = Conversation
    with reading(engine) as conn:
        stmt = filtered(select(func.min(c.opened_at)), c.opened_at, c.synthetic,
                         period.since, period.until, period)  # fmt: skip
        first = conn.execute(stmt).scalar()
    return first if isinstance(first, datetime) else None


NOT_SURVEYED_REASONS = ("cooldown", "sampled_out", "staff")


def not_surveyed_counts(engine: Engine, period: Period) -> dict[str, int]:
    """Conversations of the period that got no survey on purpose, by reason (survey.yml's
    cooldown and sampling, staff's "No survey"); read from a partial index of those few rows."""
    c = Conversation
    stmt = filtered(
        select(c.not_surveyed, func.count())
        .where(c.not_surveyed.is_not(None))
        .group_by(c.not_surveyed),
        c.opened_at, c.synthetic, period.since, period.until, period,
    )  # fmt: skip
    with reading(engine) as conn:
        found = {str(reason): int(n) for reason, n in conn.execute(stmt).all()}
    return {reason: found.get(reason, 0) for reason in NOT_SURVEYED_REASONS}
