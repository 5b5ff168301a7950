"""``cx-telemetry report`` in a terminal: a header (period, comparison, generated at), the headline
figures with their change, bot vs agent, and one compact table per ``--by`` breakdown (a row
per group, a column per figure: the value and n on the first line, the 95% interval under it).
"""

from __future__ import annotations

from collections.abc import Sequence

from cx_telemetry import effort_drivers as effort
from cx_telemetry import report_format as fmt
from cx_telemetry.report_figures import BY_KEY, FIGURES, METRIC_KEYS
from cx_telemetry.report_model import AGENT_FIGURES, MIN_N, ReportData
from cx_telemetry.report_sql import Sums

Cell = str | list[str]


def table(header: Sequence[str], rows: Sequence[Sequence[Cell]], right: set[int]) -> str:
    """Aligned columns, two spaces apart; a cell may hold several lines."""
    grid = [[c if isinstance(c, list) else [c] for c in row] for row in [list(header), *rows]]
    widths = [max(len(line) for row in grid for line in row[i]) for i in range(len(header))]
    out = []
    for r, row in enumerate(grid):
        for k in range(max(len(c) for c in row)):
            parts = []
            for i, cell in enumerate(row):
                text = cell[k] if k < len(cell) else ""
                parts.append(text.rjust(widths[i]) if i in right else text.ljust(widths[i]))
            out.append("  ".join(parts).rstrip())
        if r == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def header(data: ReportData) -> str:
    p = data.period
    whole = "" if p.since else " (all data)"
    lines = [f"CX report: {fmt.day_range(data.start, p.end)}{whole}"]
    if p.previous:
        lines.append(f"compared with the previous period: {fmt.day_range(*p.previous)}")
    lines.append(
        f"generated {fmt.when(data.generated)}; {fmt.count(data.conversations)} conversations"
    )
    if data.synthetic and not p.exclude_synthetic:
        lines.append(
            f"NOTE: {fmt.count(data.synthetic)} of them are synthetic (seeded demo data); "
            "--exclude-synthetic leaves them out"
        )
    return "\n".join(lines)


def headline(data: ReportData) -> str:
    rows = []
    for h in data.headline():
        f = h.figure
        before = "" if h.before is None else fmt.value(f, h.before)
        rows.append([f.label + (" %" if f.unit == "%" else ""), fmt.value(f, h.now),
                     fmt.interval(f, h.now), fmt.count(h.now.n), before,
                     fmt.change_short(f, h.change)])  # fmt: skip
    hdr = ["figure", "value", "95% interval", "n", "previous", "change (test, p)"]
    notes = [fmt.not_yet_known(data.settled_before, data.not_yet_known),
             fmt.not_surveyed(data.not_surveyed)]  # fmt: skip
    return table(hdr, rows, {1, 3, 4}) + "".join(f"\n{n}" for n in notes if n)


def _cell(key: str, s: Sums, min_n: int = 0) -> list[str]:
    f = BY_KEY[key]
    e = f.estimate(s)
    if e.n == 0:
        return [fmt.DASH]
    if e.n < min_n:
        return ["too few to tell", f"n={e.n}"]
    return [f"{fmt.value(f, e)} n={fmt.count(e.n)}", fmt.interval(f, e)]


def _title(key: str) -> str:
    f = BY_KEY[key]
    return f.label + (" %" if f.unit == "%" else "")


def breakdown(name: str, groups: dict[str, Sums], keys: Sequence[str], min_n: int = 0) -> str:
    rows: list[list[Cell]] = [[g, *(_cell(k, s, min_n) for k in keys)] for g, s in groups.items()]
    if not rows:
        return f"By {name}: no data."
    return f"By {name}\n" + table([name, *(_title(k) for k in keys)], rows, set())


def segments(data: ReportData) -> str:
    bot, agent, diff = data.segments()
    keys = ("csat_pct", "ces_mean", "nps")
    rows: list[list[Cell]] = []
    for seg, label in ((bot, "closed by the bot"), (agent, "resolved by an agent")):
        cells = [[f"{fmt.value(BY_KEY[k], seg.figures[k])} n={fmt.count(seg.figures[k].n)}",
                  fmt.interval(BY_KEY[k], seg.figures[k])] for k in keys]  # fmt: skip
        rows.append([label, fmt.count(seg.conversations), *cells])
    words = "; ".join(f"{BY_KEY[k].label} {fmt.change_short(BY_KEY[k], diff[k])}" for k in keys)
    hdr = ["bot vs agent", "conversations", *(_title(k) for k in keys)]
    return "Bot vs agent\n" + table(hdr, rows, {1}) + "\nbot minus agent: " + words


def effort_drivers(data: ReportData) -> str:
    body = table(effort.HEADER, effort.rows(data.effort), {1, 2, 3})
    return f"Effort drivers (CES with and without)\n{body}\n{effort.NOTE}"


def render(data: ReportData, by: str | None = None) -> str:
    parts = [header(data), headline(data), segments(data), effort_drivers(data)]
    if by == "week":
        groups = {w.label + (" (partial)" if w.partial else ""): s
                  for w, s in data.weeks_with_data()}  # fmt: skip
        parts.append(breakdown("week", groups, METRIC_KEYS))
    elif by == "agent":
        parts.append(breakdown("agent", data.agents(), AGENT_FIGURES, MIN_N))
    elif by:
        parts.append(breakdown(by, data.by(by), METRIC_KEYS))
    return "\n\n".join(parts) + "\n"


__all__ = ["FIGURES", "render", "table"]
