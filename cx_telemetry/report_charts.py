"""Inline SVG charts for the HTML report: no scripts, no fonts or images from elsewhere.

Every chart has a ``viewBox`` and scales to its container (``width: 100%``); it is drawn for a
400-unit width, about the width it is shown at on a phone and in a desktop's three-column
grid, so its text stays readable. The 95% interval of every point or bar is drawn (a whisker),
its n is printed, and axis labels are thinned so they never overlap however many weeks there
are (the newest week always keeps its label). Tick labels carry ``class="axis"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from cx_telemetry.metrics import Estimate

W = 400  # viewBox width
FONT = 11  # px in viewBox units
CHAR_W = 0.62 * FONT  # a generous average glyph width, so thinning errs on the safe side
LEFT, RIGHT, TOP = 44, 12, 30


@dataclass(frozen=True)
class Point:
    label: str
    estimate: Estimate
    partial: bool = False


def _num(v: float, unit: str, step: float) -> str:
    """A tick label with as many decimals as the tick step needs."""
    decimals = next((d for d in range(4) if abs(round(step, d) - step) < 1e-9 * max(1, step)), 3)
    if unit == "s" and (step >= 60 or v >= 300) and step % 30 == 0:
        return _num(v / 60, " min", step / 60)
    text = f"{v:.{decimals}f}"
    return {"%": f"{text}%", "s": f"{text} s", " min": f"{text} min"}.get(unit, text)


def nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round tick values from at or below ``lo`` to at or above ``hi``; durations step in
    whole minutes once the span is over ten minutes."""
    span = (hi - lo) or 1.0
    raw = span / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def _duration_ticks(lo: float, hi: float) -> list[float]:
    """Seconds up to five minutes, whole or half minutes above."""
    if hi < 300:
        return nice_ticks(lo, hi)
    return [t * 60 for t in nice_ticks(lo / 60, hi / 60)]


def ticks_for(unit: str, lo: float, hi: float) -> list[float]:
    return _duration_ticks(lo, hi) if unit == "s" else nice_ticks(lo, hi)


def value_range(
    points: Sequence[Estimate], unit: str, lo: float, hi: float | None
) -> tuple[float, float, list[float]]:
    """The y axis (bottom, top) covering every value and interval within the scale [lo, hi],
    and the round ticks inside it."""
    vals = [v for e in points for v in ((e.value,) + (e.ci95 or ())) if v is not None]
    if not vals:
        vals = [lo, hi if hi is not None else lo + 1]
    top, bottom = max(vals), min(vals)
    pad = (top - bottom) * 0.1 or max(abs(top) * 0.05, 0.5)
    bottom = max(lo, bottom - pad)
    top = top + pad if hi is None else min(hi, top + pad)
    ticks = ticks_for(unit, bottom, top)
    y0, y1 = max(lo, ticks[0]), ticks[-1] if hi is None else min(hi, ticks[-1])
    return y0, y1, [t for t in ticks if y0 - 1e-9 <= t <= y1 + 1e-9]


def thin(labels: Sequence[str], slot: float) -> list[int]:
    """Indexes of the labels to print so that none overlaps its neighbour: every k-th, counted
    back from the last one."""
    if not labels:
        return []
    widest = max(len(t) for t in labels) * CHAR_W + 8
    step = max(1, math.ceil(widest / max(slot, 1e-9)))
    return sorted(range(len(labels) - 1, -1, -step))


def _svg(title: str, height: float, body: list[str]) -> str:
    return (f'<svg viewBox="0 0 {W} {height:.0f}" width="100%" role="img" '
            f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
            + "".join(body) + "</svg>")  # fmt: skip


def line_chart(title: str, points: Sequence[Point], unit: str, lo: float, hi: float | None) -> str:
    """One figure per week: dots joined by a line, whiskers for the 95% interval, the n of each
    labelled week under its date; a partial week is a hollow dot on a dashed segment."""
    h, bottom = 236, 46
    y0, y1, ticks = value_range([p.estimate for p in points], unit, lo, hi)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    plot_w, plot_h = W - LEFT - RIGHT, h - TOP - bottom

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - y0) / ((y1 - y0) or 1))

    slot = plot_w / max(1, len(points))
    xs = [LEFT + slot * (i + 0.5) for i in range(len(points))]
    body = [f'<text x="0" y="14" class="ctitle">{escape(title)}</text>']
    for t in ticks:
        body.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(t):.1f}" y2="{y(t):.1f}" class="grid"/>'
        )
        body.append(
            f'<text x="{LEFT - 4}" y="{y(t) + 4:.1f}" class="axis" text-anchor="end">{escape(_num(t, unit, step))}</text>'
        )
    solid: list[str] = []
    for i, (x, p) in enumerate(zip(xs, points, strict=True)):
        e = p.estimate
        if e.value is None:
            continue
        if e.ci95:
            a, b = y(max(y0, e.ci95[0])), y(min(y1, e.ci95[1]))
            body.append(
                f'<path d="M{x - 3:.1f},{a:.1f}H{x + 3:.1f}M{x:.1f},{a:.1f}V{b:.1f}M{x - 3:.1f},{b:.1f}H{x + 3:.1f}" class="ci"/>'
            )
        prev = next((j for j in range(i - 1, -1, -1) if points[j].estimate.value is not None), None)
        if prev is not None:
            seg = f"M{xs[prev]:.1f},{y(points[prev].estimate.value or 0):.1f}L{x:.1f},{y(e.value):.1f}"
            if p.partial or points[prev].partial:
                body.append(f'<path d="{seg}" class="line partial"/>')
            else:
                solid.append(seg)
        body.append(
            f'<circle cx="{x:.1f}" cy="{y(e.value):.1f}" r="3.5" class="{"dot partial" if p.partial else "dot"}"/>'
        )
    body.insert(1, f'<path d="{"".join(solid)}" class="line"/>' if solid else "")
    labels = [p.label for p in points]
    ns = [f"n={p.estimate.n:,}" for p in points]
    for i in thin([max(a, b, key=len) for a, b in zip(labels, ns, strict=True)], slot):
        cls = "axis partial" if points[i].partial else "axis"
        body.append(
            f'<text x="{xs[i]:.1f}" y="{h - bottom + 16}" class="{cls}" text-anchor="middle">{escape(labels[i])}</text>'
        )
        body.append(
            f'<text x="{xs[i]:.1f}" y="{h - bottom + 30}" class="axis nlab" text-anchor="middle">{ns[i]}</text>'
        )
    return _svg(title, h, body)


def hbar_chart(title: str, rows: Sequence[tuple[str, Estimate]], unit: str, lo: float,
               hi: float | None, value_text: Sequence[str]) -> str:  # fmt: skip
    """One horizontal bar per group, its name above it, its value and n at the right end, the
    95% interval as a whisker; bars start at the bottom of the scale ``lo`` and the axis ends
    at a round number above the highest interval (at most ``hi``)."""
    row_h, value_w = 34, 118
    top = max([e.ci95[1] if e.ci95 else (e.value or 0.0) for _, e in rows] + [lo + 1e-9])
    ticks = ticks_for(unit, lo, top)
    x1 = ticks[-1] if hi is None else min(hi, ticks[-1])
    step = (x1 - lo) / 2
    plot_w = W - value_w - 8

    def x(v: float) -> float:
        return plot_w * (min(max(v, lo), x1) - lo) / ((x1 - lo) or 1)

    h = TOP + row_h * len(rows) + 22
    body = [f'<text x="0" y="14" class="ctitle">{escape(title)}</text>']
    for i, ((label, e), text) in enumerate(zip(rows, value_text, strict=True)):
        top_y = TOP + i * row_h
        body.append(f'<text x="0" y="{top_y + 10}" class="glabel">{escape(label)}</text>')
        body.append(f'<rect x="0" y="{top_y + 15}" width="{plot_w}" height="12" class="track"/>')
        if e.value is not None:
            body.append(
                f'<rect x="0" y="{top_y + 15}" width="{x(e.value):.1f}" height="12" class="bar"/>'
            )
        if e.ci95:
            a, b, m = x(e.ci95[0]), x(e.ci95[1]), top_y + 21
            body.append(
                f'<path d="M{a:.1f},{m - 6}V{m + 6}M{a:.1f},{m}H{b:.1f}M{b:.1f},{m - 6}V{m + 6}" class="ci"/>'
            )
        body.append(
            f'<text x="{W}" y="{top_y + 25}" class="vlab" text-anchor="end">{escape(text)}</text>'
        )
    base = TOP + row_h * len(rows) + 4
    for t in (lo, (lo + x1) / 2, x1):
        anchor = "start" if t == lo else "end" if t == x1 else "middle"
        body.append(
            f'<text x="{x(t):.1f}" y="{base + 12}" class="axis" text-anchor="{anchor}">{escape(_num(t, unit, step))}</text>'
        )
    return _svg(title, h, body)


def score_chart(title: str, counts: dict[int, int]) -> str:
    """Answers per score: one bar per score, its share above it, the score and its count
    under it."""
    h, bottom = 210, 40
    total = sum(counts.values())
    slot = (W - 8) / max(1, len(counts))
    biggest = max(counts.values(), default=0) or 1
    body = [f'<text x="0" y="14" class="ctitle">{escape(title)}</text>']
    plot_h = h - TOP - bottom - 14
    for i, (score, n) in enumerate(sorted(counts.items())):
        x = 4 + slot * i
        bh = plot_h * n / biggest
        low = {5: 2, 7: 3, 11: 6}.get(len(counts), 3)  # CSAT 1-2, CES 1-3, NPS detractors 0-6
        cls = "bar low" if score <= low else "bar"
        body.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{h - bottom - bh:.1f}" width="{slot * 0.7:.1f}" height="{bh:.1f}" class="{cls}"/>'
        )
        share = f"{100 * n / total:.0f}%" if total else ""
        body.append(
            f'<text x="{x + slot / 2:.1f}" y="{h - bottom - bh - 4:.1f}" class="vlab" text-anchor="middle">{share}</text>'
        )
        body.append(
            f'<text x="{x + slot / 2:.1f}" y="{h - bottom + 15}" class="axis" text-anchor="middle">{score}</text>'
        )
        body.append(
            f'<text x="{x + slot / 2:.1f}" y="{h - bottom + 30}" class="axis nlab" text-anchor="middle">{n:,}</text>'
        )
    return _svg(title, h, body)
