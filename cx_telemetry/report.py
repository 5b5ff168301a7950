"""``cx-telemetry report``: the figures of a period as one JSON-ready dict (``report --json``).

How the sums are computed is in ``report_sql`` and ``report_weeks``; what each figure means is
in ``metrics`` and ``report_figures``; the terminal and HTML renderings are ``report_terminal``
and ``report_html``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from cx_telemetry.effort_drivers import as_json as effort_json
from cx_telemetry.metrics import METRIC_DEFINITIONS_VERSION, Estimate
from cx_telemetry.report_figures import METRIC_KEYS, estimates
from cx_telemetry.report_model import ReportData, collect
from cx_telemetry.report_sql import Period, Sums

GROUPINGS = ("channel", "intent", "agent", "week")


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def _as_json(s: Sums) -> dict[str, Any]:
    return {k: e.as_dict() for k, e in estimates(s).items()}


def _est(figures: dict[str, Estimate]) -> dict[str, Any]:
    return {k: e.as_dict() for k, e in figures.items()}


def groups_json(data: ReportData, by: str) -> dict[str, Any]:
    """The nine figures per group of ``by`` (channel, intent, agent or week)."""
    if by == "week":  # the weeks that have data; the trends draw the empty ones as gaps
        return {w.label: _as_json(s) for w, s in data.weeks_with_data()}
    return {name: _as_json(s) for name, s in data.by(by).items()}


def to_json(data: ReportData, by: str | None = None) -> dict[str, Any]:
    """``overall``/``previous`` {figure: {value, n, ci95}}, ``change`` {figure: {difference,
    test, p_value, significant}}, ``bot_vs_agent``, ``surveys_not_asked`` {reason: count},
    ``effort_drivers`` {driver: {with, without, difference, difference_ci95}},
    ``distributions`` and ``by``."""
    p = data.period
    prev = p.previous
    headline = data.headline()
    bot, agent, diff = data.segments()
    return {
        "metric_definitions_version": METRIC_DEFINITIONS_VERSION,
        "period": {
            "since": _iso(p.since),
            "until": _iso(p.until),
            "previous": None if prev is None else {"since": _iso(prev[0]), "until": _iso(prev[1])},
            "generated_at": _iso(data.generated),
            "conversations": data.conversations,
            "synthetic_conversations": data.synthetic,
            "synthetic_excluded": p.exclude_synthetic,
            # durable containment: conversations closed by then; the rest is not yet known
            "durable_containment_settled_before": _iso(data.settled_before),
            "durable_containment_not_yet_known": data.not_yet_known,
        },
        "overall": {h.figure.key: h.now.as_dict() for h in headline},
        "previous": None if prev is None else {h.figure.key: h.before.as_dict() for h in headline if h.before},
        "change": None if prev is None else {h.figure.key: h.change.as_dict() for h in headline if h.change},
        "bot_vs_agent": {
            s.name: {"conversations": s.conversations, **_est(s.figures)} for s in (bot, agent)
        } | {"difference": {k: c.as_dict() for k, c in diff.items()}},
        "surveys_not_asked": data.not_surveyed,
        "effort_drivers": effort_json(data.effort),
        "distributions": {m: {str(k): v for k, v in data.distribution(m).items()} for m in ("csat", "ces", "nps")},
        "by": groups_json(data, by) if by else {},
    }  # fmt: skip


def build_report(
    engine: Engine,
    since: datetime | None = None,
    until: datetime | None = None,
    by: str | None = None,
    exclude_synthetic: bool = False,
) -> dict[str, Any]:
    """The report of ``[since, until)`` as JSON-ready data; shares in %, durations in seconds;
    value null and n 0 for an empty period or group. With a ``since`` it also holds the
    previous period of equal length and the change to it."""
    period = Period(since, until, exclude_synthetic)
    return to_json(collect(engine, period, weekly=by == "week"), by)


__all__ = ["GROUPINGS", "METRIC_KEYS", "build_report", "groups_json", "to_json"]
