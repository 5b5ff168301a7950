"""``cx-telemetry report --html``: one self-contained page (inline CSS and SVG, no scripts, no
URLs) that reads on a phone, on a desktop and on paper.

The page is a list of sections (``SECTIONS``): each has an id, a title and a builder that
turns the report data into HTML (or None to leave the section out). A new section — review
links, effort drivers, NPS — is one more builder in the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from cx_telemetry import report_format as fmt
from cx_telemetry import report_sections as s
from cx_telemetry.effort_drivers import html as effort_html
from cx_telemetry.metrics import METRIC_DEFINITIONS
from cx_telemetry.report_model import ReportData


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    build: Callable[[s.Context], str | None]


SECTIONS: tuple[Section, ...] = (
    Section("headline", "Headline", s.headline),
    Section("distributions", "Score distributions", s.distributions),
    Section("trends", "Trends by week", s.trends),
    Section("bot-vs-agent", "Bot vs agent", s.bot_vs_agent),
    Section("effort-drivers", "Effort drivers", lambda ctx: effort_html(ctx.data.effort)),
    Section("by-channel", "By channel", s.by_channel),
    Section("by-intent", "By intent", s.by_intent),
    Section("by-agent", "By agent", s.by_agent),
    Section("comments", "What customers said", s.comments),
    Section("breakdown", "All figures by group", s.breakdown),
)

CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2630;
background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:16px}
h1{font-size:1.6em;margin:.2em 0}h2,h3,p,li{overflow-wrap:anywhere}h2{font-size:1.25em;margin:0 0 .6em}h3{font-size:1em;margin:1em 0 .4em}
section{background:#fff;border:1px solid #e1e5ea;border-radius:8px;padding:16px;margin:16px 0}
.meta,.note,figcaption{color:#5b6672;font-size:.88em}
.banner{background:#fff4d6;border:1px solid #e6c25c;border-radius:8px;padding:10px 14px;margin:12px 0}
nav{font-size:.9em;display:flex;flex-wrap:wrap;gap:4px 14px}nav a{color:#1f5f8b}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(205px,1fr));gap:12px}
.tile{border:1px solid #e1e5ea;border-radius:8px;padding:10px 12px}
.tile .label{font-weight:600}.tile .big{font-size:1.9em;font-weight:650;line-height:1.2}
.tile .ci,.tile .n,.tile .prev{font-size:.86em;color:#5b6672}
.chg{font-size:.86em;margin-top:4px}.better{color:#17663a}.worse{color:#a12a2a}.same{color:#5b6672}
.grid2{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:16px}
figure{margin:0}svg.chart{display:block;width:100%;height:auto;overflow:visible}
svg text{font-size:11px;fill:#1d2630}svg .ctitle{font-weight:600;font-size:12px}
svg .axis{fill:#4a5560}svg .nlab{fill:#7a8590;font-size:10px}svg .vlab{font-size:10.5px}
svg .grid{stroke:#e6e9ed}svg .line{fill:none;stroke:#1f5f8b;stroke-width:2}
svg .line.partial{stroke-dasharray:4 3}svg .dot{fill:#1f5f8b}svg .dot.partial{fill:#fff;stroke:#1f5f8b;stroke-width:1.5}
svg .axis.partial{font-style:italic}svg .ci{stroke:#6c8fa8;stroke-width:1.4;fill:none}
svg .bar{fill:#7fb0d6}svg .bar.low{fill:#e08a7d}svg .track{fill:#f0f2f5}svg .glabel{font-size:11px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.9em}
th,td{border-bottom:1px solid #e6e9ed;padding:5px 8px;text-align:left;vertical-align:top}
td.num,th.num{text-align:right}td small{color:#6a7580;display:block}
td.num>span{white-space:nowrap}.wide{max-width:460px}code{white-space:nowrap}
@media (max-width:520px){main{padding:10px}section{padding:12px}.tiles{grid-template-columns:1fr 1fr;gap:8px}
.tile{padding:8px}.tile .big{font-size:1.45em}body{font-size:14px}}
blockquote{overflow-wrap:anywhere;margin:.3em 0 .8em;padding:.3em .8em;border-left:3px solid #e08a7d;background:#fbf5f4}
blockquote p{margin:0}blockquote footer{font-size:.82em;color:#6a7580}
@media print{body{background:#fff;font-size:10.5pt}main{max-width:none;padding:0}nav{display:none}
section{border:none;padding:0;margin:14pt 0;break-inside:auto}.tile,figure,blockquote{break-inside:avoid}
.grid2{grid-template-columns:1fr 1fr}.scroll{overflow:visible}details>*{display:block}}
"""


def page(data: ReportData, by: str | None = None) -> str:
    """The whole report as one HTML document."""
    ctx = s.Context(data, by)
    p = data.period
    built = [(sec, sec.build(ctx)) for sec in SECTIONS]
    shown = [(sec, body) for sec, body in built if body is not None]
    nav = "".join(f'<a href="#{sec.id}">{escape(sec.title)}</a>' for sec, _ in shown)
    sections = "".join(
        f'<section id="{sec.id}"><h2>{escape(ctx.title(sec.id, sec.title))}</h2>{body}</section>'
        for sec, body in shown
    )
    compared = (f" compared with the previous {fmt.day_range(*p.previous)}" if p.previous
                else " (no comparison: give --since to compare with the previous period)")  # fmt: skip
    banner = ""
    if data.synthetic and not p.exclude_synthetic:
        banner = (f'<div class="banner" role="note"><strong>Includes synthetic data:</strong> '
                  f"{fmt.count(data.synthetic)} of the {fmt.count(data.conversations)} "
                  "conversations are seeded demo data, not customers. Run the report with "
                  "<code>--exclude-synthetic</code> to leave them out.</div>")  # fmt: skip
    elif p.exclude_synthetic:
        banner = '<p class="note">Synthetic (seeded demo) conversations are left out.</p>'
    title = f"CX report {fmt.day_range(ctx.start, p.end)}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{CSS}</style></head>
<body><main>
<header><h1>CX report</h1>
<p><strong>{escape(fmt.day_range(ctx.start, p.end))}</strong>{escape(compared)}</p>
<p class="meta">Generated {escape(fmt.when(data.generated))} &middot; {fmt.count(data.conversations)} conversations &middot; every figure with its n and 95% interval</p>
{banner}<nav aria-label="Sections">{nav}</nav></header>
{sections}
<footer class="note"><p>{escape(METRIC_DEFINITIONS)}.</p><p>A change is called a change when its two-sided test gives p &lt; 0.05: the two-proportion z test for shares, Welch's t test for means (scores and durations). Weeks start on Monday (UTC). A partial week (cut by the start or end of the period) is drawn hollow and dashed and labelled in italics.</p></footer>
</main></body></html>
"""
