"""The weekly digest's message (pure): the period's headline figures with their change against
the previous period of equal length (the report's own figures and tests, ``report_model``), and
the three most-complained-about intents: the most CSAT answers at or below the low-score
threshold, with their share of the intent's answers. Slack markup; intent names are escaped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cx_telemetry.report_format import change_short, count, day_range, is_better, value
from cx_telemetry.report_model import DISSATISFIED, ReportData

TOP_INTENTS = 3
# the figures a CX lead reads first; the HTML report has the rest
DIGEST_FIGURES = ("csat_pct", "ces_mean", "response_rate_pct", "containment_pct",
                  "escalation_pct", "handoff_wait_s", "handle_time_s")  # fmt: skip
NO_DATA = "No conversations and no survey answers in this period: nothing to report."


@dataclass(frozen=True)
class Complaint:
    intent: str
    dissatisfied: int  # CSAT answers at or below the threshold
    rated: int  # CSAT answers


@dataclass(frozen=True)
class Digest:
    text: str  # notification / fallback
    blocks: list[dict[str, Any]]
    has_data: bool


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def has_data(data: ReportData) -> bool:
    return data.conversations > 0 or data.current.get("csat_n", 0) > 0


def complaints(data: ReportData, top: int = TOP_INTENTS) -> list[Complaint]:
    """Intents with the most dissatisfied CSAT answers (ties: the higher share, then name)."""
    found = [
        Complaint(intent, int(s.get(DISSATISFIED.k, 0)), int(s.get(DISSATISFIED.n, 0)))
        for intent, s in data.by("intent").items()
        if s.get(DISSATISFIED.k, 0) > 0
    ]
    found.sort(key=lambda c: (-c.dissatisfied, -c.dissatisfied / c.rated, c.intent))
    return found[:top]


def headline_lines(data: ReportData) -> list[str]:
    lines = []
    for h in data.headline():
        # NPS too once it has answers (it is off by default in survey.yml)
        nps = h.figure.key == "nps" and h.now.n > 0
        if h.figure.key not in DIGEST_FIGURES and not nps:
            continue
        mark = {True: ":arrow_up: ", False: ":arrow_down: ", None: ""}[
            is_better(h.figure, h.change)
        ]
        lines.append(
            f"• *{h.figure.label}*: {value(h.figure, h.now)} (n={count(h.now.n)}); "
            f"{mark}{change_short(h.figure, h.change)}"
        )
    return lines


def complaint_lines(found: list[Complaint]) -> list[str]:
    if not found:
        return ["_No dissatisfied answers this period._"]
    return [
        f"{i}. *{escape(c.intent.replace('_', ' '))}*: {count(c.dissatisfied)} dissatisfied of "
        f"{count(c.rated)} rated ({100 * c.dissatisfied / c.rated:.0f}%)"
        for i, c in enumerate(found, 1)
    ]


def digest(data: ReportData) -> Digest:
    p = data.period
    title = f"CX digest: {day_range(p.since or data.start, p.end)}"
    if not has_data(data):
        text = f"{title}. {NO_DATA}"
        return Digest(text, [_section(f"*{title}*\n{NO_DATA}")], False)
    synthetic = ""
    if data.synthetic:
        synthetic = f"\n:warning: includes {count(data.synthetic)} synthetic (seeded) conversations"
    head = f"*{title}*\n{count(data.conversations)} conversations{synthetic}"
    changes = "*Headline* (change against the previous period)\n" + "\n".join(headline_lines(data))
    top = f"*Most complained-about intents* ({_low_label()} answers)\n" + "\n".join(
        complaint_lines(complaints(data))
    )
    blocks = [_section(head), _section(changes), _section(top)]
    return Digest(f"{title}: {count(data.conversations)} conversations", blocks, True)


def _low_label() -> str:
    return DISSATISFIED.label.split("(")[-1].rstrip(")")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}
