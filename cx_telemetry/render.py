"""Report rendering: a plain-text table for terminals and one self-contained HTML page
(inline SVG drawn here, no scripts, no CDN) for CX leads."""

from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import Any

from cx_telemetry.metrics import METRIC_DEFINITIONS, Estimate
from cx_telemetry.report import METRIC_KEYS, estimates, rollup

LABELS = {
    "csat_pct": ("CSAT", "%"), "ces_mean": ("CES mean (1-7)", ""), "ces_easy_pct": ("CES easy (5-7)", "%"),
    "response_rate_pct": ("Response rate", "%"), "containment_pct": ("Containment", "%"),
    "escalation_pct": ("Escalation", "%"), "handoff_wait_s": ("Handoff wait", "s"),
    "agent_first_response_s": ("Agent first response", "s"), "handle_time_s": ("Handle time", "s"),
}  # fmt: skip


def _fmt(m: dict[str, Any], unit: str) -> str:
    if m["value"] is None:
        return "-"
    ci = m["ci95"]
    ci_s = f" [{ci[0]:.1f}-{ci[1]:.1f}]" if ci else ""
    return f"{m['value']:.1f}{unit}{ci_s}"


def text_table(report: dict[str, Any]) -> str:
    """The report as an aligned text table: value [95% interval] and n per metric."""
    columns = [("overall", report["overall"]), *report.get("by", {}).items()]
    lines = []
    for name, group in columns:
        lines.append(f"== {name} ==")
        for key in METRIC_KEYS:
            label, unit = LABELS[key]
            m = group[key]
            lines.append(f"  {label:<22} {_fmt(m, unit):<28} n={m['n']}")
    return "\n".join(lines) + "\n"


W, H, PAD = 560, 220, 40


def _y(v: float, lo: float, hi: float) -> float:
    return H - PAD + (PAD * 2 - H) * (v - lo) / ((hi - lo) or 1)


def line_chart(title: str, labels: list[str], points: list[Estimate], lo: float, hi: float) -> str:
    """An SVG line chart of one metric per week, with 95% intervals as whiskers."""
    n = max(1, len(labels) - 1)
    xs = [PAD + (W - 2 * PAD) * i / n for i in range(len(labels))]
    parts = [f'<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="{PAD}" y="16" font-weight="bold">{html.escape(title)}</text>']  # fmt: skip
    for tick in (lo, (lo + hi) / 2, hi):
        y = _y(tick, lo, hi)
        parts.append(f'<line x1="{PAD}" x2="{W - PAD}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="4" y="{y + 4:.1f}" font-size="10">{tick:g}</text>')
    path: list[str] = []
    for x, e in zip(xs, points, strict=True):
        if e.value is None:
            continue
        if e.ci95:
            y1, y2 = _y(max(lo, e.ci95[0]), lo, hi), _y(min(hi, e.ci95[1]), lo, hi)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y1:.1f}" y2="{y2:.1f}" stroke="#9bb"/>'
            )
        y = _y(e.value, lo, hi)
        path.append(f"{'M' if not path else 'L'}{x:.1f},{y:.1f}")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f6f8b"><title>{e.value:.2f} (n={e.n})</title></circle>'
        )
    if path:
        parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="#1f6f8b" stroke-width="2"/>')
    step = max(1, len(labels) // 8)
    for i in range(0, len(labels), step):
        parts.append(
            f'<text x="{xs[i]:.1f}" y="{H - 8}" font-size="10" text-anchor="middle">{html.escape(labels[i])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, labels: list[str], bars: list[Estimate], lo: float, hi: float) -> str:
    """An SVG bar chart of one metric per group, with 95% intervals as whiskers."""
    width = (W - 2 * PAD) / max(1, len(labels))
    parts = [f'<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{html.escape(title)}">',
             f'<text x="{PAD}" y="16" font-weight="bold">{html.escape(title)}</text>']  # fmt: skip
    base = _y(lo, lo, hi)
    for i, (label, e) in enumerate(zip(labels, bars, strict=True)):
        x = PAD + i * width
        if e.value is not None:
            y = _y(e.value, lo, hi)
            parts.append(
                f'<rect x="{x + width * 0.15:.1f}" y="{y:.1f}" width="{width * 0.7:.1f}" height="{base - y:.1f}" fill="#6fa8dc"><title>{e.value:.2f} (n={e.n})</title></rect>'
            )
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{y - 4:.1f}" font-size="10" text-anchor="middle">{e.value:.1f}</text>'
            )
            if e.ci95:
                y1, y2 = _y(max(lo, e.ci95[0]), lo, hi), _y(min(hi, e.ci95[1]), lo, hi)
                parts.append(
                    f'<line x1="{x + width / 2:.1f}" x2="{x + width / 2:.1f}" y1="{y1:.1f}" y2="{y2:.1f}" stroke="#333"/>'
                )
        parts.append(
            f'<text x="{x + width / 2:.1f}" y="{H - 8}" font-size="10" text-anchor="middle">{html.escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


CHARTS = (("csat_pct", "CSAT %", 0.0, 100.0), ("ces_mean", "CES mean (1-7)", 1.0, 7.0),
          ("containment_pct", "Containment %", 0.0, 100.0))  # fmt: skip


def html_page(groups: dict[tuple[str, ...], dict[str, float]], period: str) -> str:
    """One self-contained page from sums grouped by (week, channel): overall table, weekly
    trends and per-channel bars of CSAT, CES and containment."""
    overall = estimates(rollup(groups, []).get((), {}))
    weeks = {k[0]: estimates(s) for k, s in sorted(rollup(groups, [0]).items())}
    channels = {k[0]: estimates(s) for k, s in sorted(rollup(groups, [1]).items())}
    rows = "".join(
        f"<tr><td>{html.escape(LABELS[k][0])}</td><td>{html.escape(_fmt(overall[k].as_dict(), LABELS[k][1]))}</td><td>{overall[k].n}</td></tr>"
        for k in METRIC_KEYS
    )
    trend = "".join(
        line_chart(f"{t} by week", list(weeks), [w[k] for w in weeks.values()], lo, hi)
        for k, t, lo, hi in CHARTS
    )
    by_channel = "".join(
        bar_chart(f"{t} by channel", list(channels), [c[k] for c in channels.values()], lo, hi)
        for k, t, lo, hi in CHARTS
    )
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CX report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}}svg{{display:block;margin:1em 0}}
.small{{color:#666;font-size:0.85em;max-width:60em}}</style></head><body>
<h1>CX report</h1><p>Period: {html.escape(period)} &middot; generated {generated}</p>
<h2>Overall</h2><table><tr><th>Metric</th><th>Value [95% interval]</th><th>n</th></tr>{rows}</table>
<h2>Weekly trend</h2>{trend or "<p>No data.</p>"}
<h2>By channel</h2>{by_channel or "<p>No data.</p>"}
<p class="small">{html.escape(METRIC_DEFINITIONS)}. Weeks start on Monday (UTC).</p>
</body></html>
"""
