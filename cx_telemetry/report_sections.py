"""The sections of the HTML report, one builder each: ``(Context) -> HTML or None``.

Customer text (comments) and every name from the data (intents, agents, channels) is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from cx_telemetry import report_format as fmt
from cx_telemetry.metrics import Estimate
from cx_telemetry.report_charts import Point, hbar_chart, line_chart, score_chart
from cx_telemetry.report_figures import BY_KEY, METRIC_KEYS, Figure
from cx_telemetry.report_model import AGENT_FIGURES, DISSATISFIED, MIN_N, ReportData
from cx_telemetry.report_sql import Sums

N_OF = {
    "csat_pct": "answers", "ces_mean": "answers", "ces_easy_pct": "answers", "nps": "answers",
    "response_rate_pct": "surveys asked", "containment_pct": "conversations with a support intent",
    "durable_containment_pct": "support conversations past their 7-day window",
    "escalation_pct": "conversations with a support intent", "handoff_wait_s": "claimed handoffs",
    "agent_first_response_s": "handoffs with an agent reply", "handle_time_s": "handled handoffs",
}  # fmt: skip
COMMENT_INTENTS = 8  # the intents with the most low-score comments
TRENDS = ("csat_pct", "ces_mean", "response_rate_pct", "containment_pct",
          "durable_containment_pct", "escalation_pct", "handoff_wait_s", "handle_time_s")  # fmt: skip


@dataclass(frozen=True)
class Context:
    data: ReportData
    by: str | None

    @property
    def start(self) -> datetime | None:
        return self.data.start or self.data.period.since

    def title(self, section: str, default: str) -> str:
        return f"All figures by {self.by}" if section == "breakdown" and self.by else default


def _name(f: Figure) -> str:
    return f.label + (" %" if f.unit == "%" else "")


def _cell(f: Figure, e: Estimate, min_n: int = 0) -> str:
    """Value, then the interval and n on a second line; "too few to tell" under ``min_n``."""
    if e.n == 0:
        return '<td class="num">–</td>'
    if e.n < min_n:
        return f'<td class="num">too few to tell<small>n={e.n}</small></td>'
    ci = fmt.interval(f, e)
    return (f'<td class="num"><span>{escape(fmt.value(f, e))}</span><small>{escape(ci)}</small>'
            f"<small>n={e.n:,}</small></td>")  # fmt: skip


def _table(first: str, rows: Sequence[tuple[str, Sums]], keys: Sequence[str], min_n: int = 0,
           extra: Sequence[tuple[str, str]] = ()) -> str:  # fmt: skip
    """A row per group, a column per figure (value, interval, n)."""
    head = "".join(f'<th class="num">{escape(_name(BY_KEY[k]))}</th>' for k in keys)
    head += "".join(f'<th class="num">{escape(t)}</th>' for t, _ in extra)
    body = ""
    for name, sums in rows:
        cells = "".join(_cell(BY_KEY[k], BY_KEY[k].estimate(sums), min_n) for k in keys)
        cells += "".join(f'<td class="num">{fmt.count(sums.get(k, 0))}</td>' for _, k in extra)
        body += f"<tr><th>{escape(name)}</th>{cells}</tr>"
    return (f'<div class="scroll"><table><thead><tr><th>{escape(first)}</th>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")  # fmt: skip


def _bars(title: str, rows: Sequence[tuple[str, Sums]], f: Figure) -> str:
    ests = [(name, f.estimate(sums)) for name, sums in rows]
    texts = [f"{fmt.value(f, e)}  n={e.n:,}" if e.n else "no data" for _, e in ests]
    return f"<figure>{hbar_chart(title, ests, f.unit, f.lo, f.hi, texts)}</figure>"


def headline(ctx: Context) -> str:
    tiles = []
    for h in ctx.data.headline():
        f, e = h.figure, h.now
        better = fmt.is_better(f, h.change)
        cls = "same" if better is None else "better" if better else "worse"
        arrow = "" if h.change is None or h.change.difference in (None, 0) else (
            "▲ " if (h.change.difference or 0) > 0 else "▼ ")  # fmt: skip
        prev = "" if h.before is None or h.before.n == 0 else (
            f'<div class="prev">previous period: {escape(fmt.value(f, h.before))} (n={h.before.n:,})</div>')  # fmt: skip
        ci = fmt.interval(f, e) or "no data"
        tiles.append(
            f'<div class="tile"><div class="label">{escape(_name(f))}</div>'
            f'<div class="big">{escape(fmt.value(f, e))}</div>'
            f'<div class="ci">95% interval {escape(ci)}</div>'
            f'<div class="n">n = {e.n:,} {escape(N_OF[f.key])}</div>{prev}'
            f'<div class="chg {cls}">{arrow}{escape(fmt.change_words(f, h.change))}</div></div>'
        )
    notes = [fmt.not_yet_known(ctx.data.settled_before, ctx.data.not_yet_known),
             fmt.not_surveyed(ctx.data.not_surveyed)]  # fmt: skip
    note = "".join(f'<p class="note">{escape(n)}</p>' for n in notes if n)
    return f'<div class="tiles">{"".join(tiles)}</div>{note}'


def distributions(ctx: Context) -> str:
    charts = []
    for metric, title in (
        ("csat", "CSAT answers by score (1-5)"),
        ("ces", "CES answers by score (1-7)"),
        ("nps", "NPS answers by score (0-10; detractors 0-6 in red)"),
    ):
        counts = ctx.data.distribution(metric)
        if metric == "nps" and not any(counts.values()):
            continue  # NPS is off by default (survey.yml): no empty chart for it
        charts.append(f"<figure>{score_chart(f'{title}, n = {sum(counts.values()):,}', counts)}"
                      "<figcaption>Share of answers above each bar, count under the score; "
                      "low scores in red.</figcaption></figure>")  # fmt: skip
    return f'<div class="grid2">{"".join(charts)}</div>'


def trends(ctx: Context) -> str | None:
    weeks = ctx.data.weeks
    if not weeks:
        return None
    charts = []
    for key in TRENDS:
        f = BY_KEY[key]
        years = weeks[-1].start - weeks[0].start > timedelta(days=300)
        points = [Point(_short(w.label, years), f.estimate(ctx.data.week_sums.get(w.label, {})),
                        w.partial) for w in weeks]  # fmt: skip
        ns = [p.estimate.n for p in points if p.estimate.n]
        span = f"n per week {min(ns):,} to {max(ns):,} {N_OF[key]}" if ns else "no data"
        charts.append(f"<figure>{line_chart(f'{_name(f)} by week', points, f.unit, f.lo, f.hi)}"
                      f"<figcaption>{escape(span)}; whiskers: 95% interval</figcaption></figure>")  # fmt: skip
    partial = [w for w in weeks if w.partial]
    note = "".join(f"The week of {w.label} is partial ({w.days:.1f} of 7 days in the period): "
                   "hollow dot, dashed line. " for w in partial)  # fmt: skip
    rows = [(w.label + (" (partial)" if w.partial else ""), ctx.data.week_sums.get(w.label, {}))
            for w in weeks]  # fmt: skip
    table = _table("week (Monday)", rows, TRENDS)
    return (f'<div class="grid2">{"".join(charts)}</div><p class="note">{escape(note)}</p>'
            f"<details><summary>The weekly figures as a table</summary>{table}</details>")  # fmt: skip


def _short(day: str, year: bool = False) -> str:
    """``3 Nov``, or ``3 Nov 25`` when the weeks span more than a year."""
    d = datetime.fromisoformat(day)
    return f"{d.day} {d:%b}" + (f" {d:%y}" if year else "")


def bot_vs_agent(ctx: Context) -> str:
    bot, agent, diff = ctx.data.segments()
    keys = ("csat_pct", "ces_mean", "ces_easy_pct", "nps", "response_rate_pct")
    rows = ""
    for seg, label in ((bot, "Closed by the bot"), (agent, "Resolved by an agent")):
        cells = "".join(_cell(BY_KEY[k], seg.figures[k]) for k in keys)
        rows += f'<tr><th>{label}</th><td class="num">{seg.conversations:,}</td>{cells}</tr>'
    head = "".join(f'<th class="num">{escape(_name(BY_KEY[k]))}</th>' for k in keys)
    words = "".join(f"<li>{escape(BY_KEY[k].label)}: "
                    f"{escape(fmt.gap_words(BY_KEY[k], diff[k], 'the bot', 'the agents'))}</li>"
                    for k in keys)  # fmt: skip
    by = ctx.data.by("segment")
    rows2 = [
        ("closed by the bot", by.get("bot", {})),
        ("resolved by an agent", by.get("agent", {})),
    ]
    charts = "".join(_bars(f"{_name(BY_KEY[k])}: bot vs agent", rows2, BY_KEY[k])
                     for k in ("csat_pct", "ces_mean"))  # fmt: skip
    return (f'<div class="scroll"><table><thead><tr><th></th><th class="num">conversations</th>'
            f"{head}</tr></thead><tbody>{rows}</tbody></table></div>"
            f'<ul class="note">{words}</ul><div class="grid2">{charts}</div>')  # fmt: skip


def by_channel(ctx: Context) -> str | None:
    groups = list(ctx.data.by("channel").items())
    if not groups:
        return None
    charts = "".join(_bars(f"{_name(BY_KEY[k])} by channel", groups, BY_KEY[k])
                     for k in ("csat_pct", "ces_mean", "containment_pct",
                               "durable_containment_pct"))  # fmt: skip
    return f'<div class="grid2">{charts}</div>' + _table("channel", groups, METRIC_KEYS)


def by_intent(ctx: Context) -> str | None:
    volume = ctx.data.intents_by_volume()
    unhappy = ctx.data.intents_by_dissatisfaction()
    if not volume and not unhappy:
        return None
    total = ctx.data.current.get("support", 0) or 1
    vol_rows = [
        (name + f" ({100 * s.get('support', 0) / total:.0f}% of volume)", s) for name, s in volume
    ]
    out = "<h3>Top intents by volume</h3>" + _table(
        "intent", vol_rows, ("csat_pct", "containment_pct", "escalation_pct"),
        extra=(("conversations", "support"),))  # fmt: skip
    out += (f"<h3>Top intents by dissatisfaction (CSAT 1-2; intents with {MIN_N}+ answers)</h3>"
            f'<div class="wide">{_bars("Dissatisfied % (CSAT 1-2)", unhappy, DISSATISFIED)}</div>')  # fmt: skip
    return out + _table("intent", unhappy, ("csat_pct", "ces_mean", "escalation_pct"))


def by_agent(ctx: Context) -> str | None:
    agents = list(ctx.data.agents().items())
    if not agents:
        return None
    note = (f'<p class="note">Figures on fewer than {MIN_N} answers or handoffs are shown as '
            '"too few to tell".</p>')  # fmt: skip
    return note + _table("agent", agents, AGENT_FIGURES, MIN_N)


def comments(ctx: Context) -> str:
    groups = ctx.data.comments
    if not groups:
        return '<p class="note">No low-score comments in this period.</p>'
    out = ['<p class="note">Comments after a low score (CSAT 1-2, CES 1-3), redacted when they '
           "were stored, newest first. The whole conversations behind them, redacted: "
           "<code>cx-telemetry review</code> (or <code>export --what reviews</code>).</p>"]  # fmt: skip
    for g in groups[:COMMENT_INTENTS]:
        shown = len(g.newest)
        out.append(f"<h3>{escape(g.intent)} <small>({g.total:,} comment{'s' if g.total != 1 else ''}"
                   f"{f', the {shown} newest' if g.total > shown else ''})</small></h3>")  # fmt: skip
        for c in g.newest:
            who = f" · agent {c.agent}" if c.agent else " · bot"
            meta = f"{c.metric.upper()} {c.score} of {c.scale_max} · {c.channel}{who} · {fmt.when(c.at)}"
            out.append(
                f"<blockquote><p>{escape(c.text)}</p><footer>{escape(meta)}</footer></blockquote>"
            )
    rest = groups[COMMENT_INTENTS:]
    if rest:
        more = sum(g.total for g in rest)
        out.append(f'<p class="note">{more:,} more comments on {len(rest)} other intents: '
                   f"{escape(', '.join(g.intent for g in rest))}.</p>")  # fmt: skip
    return "".join(out)


def breakdown(ctx: Context) -> str | None:
    if not ctx.by:
        return None
    if ctx.by == "week":
        rows = [(w.label + (" (partial)" if w.partial else ""), ctx.data.week_sums.get(w.label, {}))
                for w in ctx.data.weeks]  # fmt: skip
    else:
        rows = list(ctx.data.by(ctx.by).items())
    return _table(ctx.by, rows, METRIC_KEYS)
