"""What the report says, computed once from the sums and read by every renderer (JSON, terminal,
HTML): the headline with its change against the previous period, the score distributions, bot
vs agent, the breakdowns, the weekly trends and what customers said."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from sqlalchemy import Engine

from cx_telemetry.effort_drivers import Driver, effort_drivers
from cx_telemetry.metrics import Estimate
from cx_telemetry.report_comments import IntentComments, low_score_comments
from cx_telemetry.report_figures import BY_KEY, FIGURES, Figure
from cx_telemetry.report_sql import (
    BOT_AGENT,
    CURRENT,
    PREVIOUS,
    UNCLAIMED,
    GroupKey,
    Period,
    Sums,
    first_opened,
    group_tasks,
    merge,
    not_surveyed_counts,
    rollup,
    settled_before,
)  # fmt: skip
from cx_telemetry.report_weeks import (
    Week,
    conversation_weeks,
    handoff_weeks,
    merge_weeks,
    response_weeks,
    weeks,
)  # fmt: skip
from cx_telemetry.stats import Comparison

DIMENSIONS = {"channel": 1, "intent": 2, "agent": 3, "segment": 4}
MIN_N = 10  # below this a group's figure is "too few to tell"
WORKERS = min(4, os.cpu_count() or 1)  # concurrent queries
SEGMENT_FIGURES = ("csat_pct", "ces_mean", "ces_easy_pct", "nps", "response_rate_pct")
SCALES = {"csat": (1, 5), "ces": (1, 7), "nps": (0, 10)}
AGENT_FIGURES = ("csat_pct", "ces_mean", "agent_first_response_s", "handle_time_s",
                 "handoff_wait_s")  # fmt: skip
DISSATISFIED = Figure("dissatisfied_pct", "Dissatisfied (CSAT 1-2)", "%", n="csat_n",
                      k="csat_low", higher_is_better=False)  # fmt: skip


@dataclass(frozen=True)
class Headline:
    """One figure of the period, the same figure in the previous period, and the change."""

    figure: Figure
    now: Estimate
    before: Estimate | None
    change: Comparison | None


@dataclass(frozen=True)
class Segment:
    """Conversations the bot closed (``bot``) or an agent resolved (``agent``)."""

    name: str
    conversations: int
    figures: dict[str, Estimate]


@dataclass
class ReportData:
    """All the sums of one report; figures are derived on demand."""

    period: Period
    groups: dict[GroupKey, Sums]
    start: datetime | None = None  # since, or when the first conversation opened
    weeks: list[Week] = field(default_factory=list)
    week_sums: dict[str, Sums] = field(default_factory=dict)
    comments: list[IntentComments] = field(default_factory=list)
    # conversations that got no survey on purpose, by reason (cooldown, sampled_out, staff)
    not_surveyed: dict[str, int] = field(default_factory=dict)
    effort: list[Driver] = field(default_factory=list)  # CES with and without each driver
    generated: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @cached_property
    def current(self) -> Sums:
        return rollup(self.groups, CURRENT, []).get((), {})

    @cached_property
    def before(self) -> Sums | None:
        if self.period.previous is None:
            return None
        return rollup(self.groups, PREVIOUS, []).get((), {})

    @property
    def synthetic(self) -> int:
        """Synthetic (seeded) conversations in the period."""
        return int(self.current.get("synthetic", 0))

    @property
    def conversations(self) -> int:
        return int(self.current.get("conversations", 0))

    @property
    def settled_before(self) -> datetime:
        """Durable containment counts the conversations closed by then."""
        return settled_before(self.period, self.period.until)

    @property
    def not_yet_known(self) -> int:
        """Support conversations of the period whose re-contact window had not passed by its
        end (closed in its last 7 days, or still open): left out of durable containment."""
        return int(self.current.get("support", 0) - self.current.get("settled", 0))

    def headline(self) -> list[Headline]:
        out = []
        for f in FIGURES:
            before = None if self.before is None else f.estimate(self.before)
            change = None if self.before is None else f.compare(self.current, self.before)
            out.append(Headline(f, f.estimate(self.current), before, change))
        return out

    def weeks_with_data(self) -> list[tuple[Week, Sums]]:
        sums = [(w, self.week_sums.get(w.label, {})) for w in self.weeks]
        return [(w, s) for w, s in sums if any(v for v in s.values())]

    def distribution(self, metric: str) -> dict[int, int]:
        """Answers per score (CSAT 1-5, CES 1-7, NPS 0-10)."""
        low, top = SCALES[metric]
        return {s: int(self.current.get(f"{metric}_{s}", 0)) for s in range(low, top + 1)}

    def by(self, dimension: str, part: str = CURRENT) -> dict[str, Sums]:
        """Sums per channel, intent, agent or segment, sorted by name."""
        groups = rollup(self.groups, part, [DIMENSIONS[dimension]])
        return {k[0]: v for k, v in sorted(groups.items())}

    def segments(self) -> tuple[Segment, Segment, dict[str, Comparison]]:
        """Bot against agent: conversations, satisfaction figures, and their differences."""
        by = self.by("segment")
        bot, agent = by.get("bot", {}), by.get("agent", {})
        seg = [
            Segment("bot", int(bot.get("contained", 0)), _figures(bot, SEGMENT_FIGURES)),
            Segment("agent", int(agent.get("resolved", 0)), _figures(agent, SEGMENT_FIGURES)),
        ]
        return seg[0], seg[1], {k: BY_KEY[k].compare(bot, agent) for k in SEGMENT_FIGURES}

    def agents(self) -> dict[str, Sums]:
        """Per human agent (the bot and unclaimed handoffs left out)."""
        return {k: v for k, v in self.by("agent").items() if k not in (BOT_AGENT, UNCLAIMED)}

    def intents_by_volume(self, top: int = 10) -> list[tuple[str, Sums]]:
        by = self.by("intent")
        ranked = sorted(by.items(), key=lambda kv: (-kv[1].get("support", 0), kv[0]))
        return [kv for kv in ranked if kv[1].get("support", 0) > 0][:top]

    def intents_by_dissatisfaction(self, top: int = 10) -> list[tuple[str, Sums]]:
        """Intents with at least MIN_N CSAT answers, the highest share of CSAT 1-2 first."""
        by = self.by("intent")
        rated = [(k, v) for k, v in by.items() if v.get("csat_n", 0) >= MIN_N]
        rated.sort(key=lambda kv: (-(DISSATISFIED.estimate(kv[1]).value or 0.0), kv[0]))
        return rated[:top]


def _figures(s: Sums, keys: tuple[str, ...]) -> dict[str, Estimate]:
    return {k: BY_KEY[k].estimate(s) for k in keys}


def collect(
    engine: Engine,
    period: Period,
    *,
    weekly: bool = False,
    comments: bool = False,
    low: dict[str, int] | None = None,
) -> ReportData:
    """Run the report's queries: always the groups; the weeks and the comments on request.
    ``low`` are the low-score thresholds of the comments shown. Independent queries run side by side on their own connections (SQLite and PostgreSQL
    work outside Python's lock), so the wall time is closer to the longest query than to the
    sum of them."""
    start = period.since or first_opened(engine, period)
    buckets = weeks(start, period.end) if weekly and start is not None else []
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        tasks: list[Future[Any]] = [pool.submit(t) for t in group_tasks(engine, period)]
        later: list[Future[Any]] = []
        if buckets:
            later += [pool.submit(conversation_weeks, engine, period, buckets),
                      pool.submit(handoff_weeks, engine, period, buckets)]  # fmt: skip
        said = pool.submit(low_score_comments, engine, period, low) if comments else None
        withheld = pool.submit(not_surveyed_counts, engine, period)
        effort = pool.submit(effort_drivers, engine, period)
        groups, combos = merge([t.result() for t in tasks])
        if buckets:
            later.append(pool.submit(response_weeks, engine, period, buckets, combos))
        data = ReportData(period, groups, start, buckets)
        data.week_sums = merge_weeks([f.result() for f in later], buckets) if buckets else {}
        data.comments = said.result() if said else []
        data.not_surveyed = withheld.result()
        data.effort = effort.result()
    return data
