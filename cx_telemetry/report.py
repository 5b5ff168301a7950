"""``cx-telemetry report``: every metric computed with SQL GROUP BY, then rolled up in Python.

Each table is scanned once with the sums a metric needs (counts, sums, sums of squares); those
sums add up across groups, so the overall figures, the ``--by`` groups and the HTML charts all
come from the same single pass per table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, case, func, literal, select
from sqlalchemy.exc import SQLAlchemyError

from cx_telemetry.db import is_unavailable, unavailable_message
from cx_telemetry.errors import StoreUnavailable
from cx_telemetry.metrics import Estimate, mean_t, share_pct
from cx_telemetry.models import Conversation, Handoff, SurveyResponse

GROUPINGS = ("channel", "intent", "agent", "week")
METRIC_KEYS = (
    "csat_pct", "ces_mean", "ces_easy_pct", "response_rate_pct", "containment_pct",
    "escalation_pct", "handoff_wait_s", "agent_first_response_s", "handle_time_s",
)  # fmt: skip
Sums = dict[str, float]
Key = tuple[str, ...]


def _one(cond: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _day(col: Any, dialect: str) -> Any:
    """UTC day as YYYY-MM-DD (weeks are rolled up from days in Python: cheaper per row)."""
    if dialect == "sqlite":
        return func.substr(col, 1, 10)  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC text
    return func.to_char(func.timezone("UTC", col), "YYYY-MM-DD")


def week_of(day: str) -> str:
    """Monday (YYYY-MM-DD) of the week that contains ``day``."""
    d = date.fromisoformat(day[:10])
    return (d - timedelta(days=d.weekday())).isoformat()


def _group(table: Any, by: str, dialect: str) -> Any:
    r, c, h = SurveyResponse, Conversation, Handoff
    cols = {
        "channel": {r: r.channel, c: c.channel, h: h.channel},
        "intent": {r: r.intent, c: c.last_support_intent, h: h.intent},
        "agent": {r: r.agent, c: c.agent, h: h.agent},
        "week": {
            r: _day(r.asked_at, dialect),
            c: _day(c.opened_at, dialect),
            h: _day(h.requested_at, dialect),
        },
    }
    default = {"agent": {r: "(bot)", c: "(bot)", h: "(unclaimed)"}}.get(by, {}).get(table, "(none)")
    return func.coalesce(cols[by][table], default)


def _sums(table: Any) -> dict[str, Any]:
    if table is SurveyResponse:
        r = SurveyResponse
        csat = r.metric == "csat"
        csat_ans = csat & (r.status == "answered") & (r.scale_max == 5)
        ces_ans = (r.metric == "ces") & (r.status == "answered") & (r.scale_max == 7)
        return {
            "csat_asked": _one(csat),
            "csat_answered": _one(csat & (r.status == "answered")),
            "csat_n": _one(csat_ans),
            "csat_k": _one(csat_ans & (r.score >= 4)),
            "ces_n": _one(ces_ans),
            "ces_k": _one(ces_ans & (r.score >= 5)),
            "ces_sum": func.coalesce(func.sum(case((ces_ans, r.score), else_=0)), 0),
            "ces_sq": func.coalesce(func.sum(case((ces_ans, r.score * r.score), else_=0)), 0),
        }
    if table is Conversation:
        c = Conversation
        support = c.last_support_intent.is_not(None)
        return {
            "support": _one(support),
            "contained": _one(support & c.closed_at.is_not(None) & c.has_handoff.is_(False)),
            "escalated": _one(support & c.has_handoff.is_(True)),
        }
    out: dict[str, Any] = {}
    for name, col in (
        ("wait", Handoff.wait_s),
        ("first", Handoff.first_response_s),
        ("handle", Handoff.handle_s),
    ):
        out[f"{name}_n"] = func.count(col)
        out[f"{name}_sum"] = func.coalesce(func.sum(col), 0)
        out[f"{name}_sq"] = func.coalesce(func.sum(col * col), 0)
    return out


def aggregate(
    engine: Engine,
    keys: Sequence[str],
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[Key, Sums]:
    """Sums per group (``keys`` from GROUPINGS; empty = one overall group ``()``) over the period:
    responses by ``asked_at``, conversations by ``opened_at``, handoffs by ``requested_at``;
    ``since`` inclusive, ``until`` exclusive."""
    dialect = engine.dialect.name
    out: dict[Key, Sums] = defaultdict(dict)
    tables = (
        (SurveyResponse, SurveyResponse.asked_at),
        (Conversation, Conversation.opened_at),
        (Handoff, Handoff.requested_at),
    )
    try:
        with engine.connect().execution_options(readonly=True) as conn:
            for table, when in tables:
                groups = [_group(table, k, dialect).label(f"g{i}") for i, k in enumerate(keys)] or [
                    literal("").label("g")
                ]
                sums = _sums(table)
                stmt = select(*groups, *(v.label(k) for k, v in sums.items()))
                if since is not None:
                    stmt = stmt.where(when >= since)
                if until is not None:
                    stmt = stmt.where(when < until)
                if keys:
                    stmt = stmt.group_by(*groups)
                for row in conn.execute(stmt):
                    # days roll up into their week here; sums add up across days
                    key = tuple(
                        week_of(str(v)) if k == "week" else str(v)
                        for k, v in zip(keys, row[: len(keys)], strict=True)
                    )
                    target = out[key]
                    for name in sums:
                        target[name] = target.get(name, 0.0) + float(row._mapping[name] or 0)
    except SQLAlchemyError as err:
        if is_unavailable(err):
            raise StoreUnavailable(unavailable_message(engine.url, err)) from err
        raise
    return dict(out)


def rollup(groups: dict[Key, Sums], positions: Sequence[int]) -> dict[Key, Sums]:
    """Add up group sums onto the key positions kept (``[]`` = overall)."""
    out: dict[Key, Sums] = defaultdict(lambda: defaultdict(float))
    for key, sums in groups.items():
        target = out[tuple(key[i] for i in positions)]
        for name, value in sums.items():
            target[name] += value
    return {k: dict(v) for k, v in out.items()}


def estimates(s: Sums) -> dict[str, Estimate]:
    """The nine figures of one group from its sums (missing sums count as zero)."""

    def g(name: str) -> float:
        return s.get(name, 0.0)

    def i(name: str) -> int:
        return int(round(g(name)))

    return {
        "csat_pct": share_pct(i("csat_k"), i("csat_n")),
        "ces_mean": mean_t(i("ces_n"), g("ces_sum"), g("ces_sq")),
        "ces_easy_pct": share_pct(i("ces_k"), i("ces_n")),
        "response_rate_pct": share_pct(i("csat_answered"), i("csat_asked")),
        "containment_pct": share_pct(i("contained"), i("support")),
        "escalation_pct": share_pct(i("escalated"), i("support")),
        "handoff_wait_s": mean_t(i("wait_n"), g("wait_sum"), g("wait_sq")),
        "agent_first_response_s": mean_t(i("first_n"), g("first_sum"), g("first_sq")),
        "handle_time_s": mean_t(i("handle_n"), g("handle_sum"), g("handle_sq")),
    }


def _as_json(s: Sums) -> dict[str, Any]:
    return {k: e.as_dict() for k, e in estimates(s).items()}


def build_report(
    engine: Engine,
    since: datetime | None = None,
    until: datetime | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """``{"overall": {metric: {"value", "n", "ci95"}}, "by": {group: {...}}}``; shares in %,
    durations in seconds; value null and n 0 for an empty period or group."""
    groups = aggregate(engine, [by] if by else [], since, until)
    overall = rollup(groups, []).get((), {})
    report: dict[str, Any] = {"overall": _as_json(overall), "by": {}}
    if by:
        report["by"] = {key[0]: _as_json(s) for key, s in sorted(groups.items())}
    return report
