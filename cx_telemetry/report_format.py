"""How figures read: values with their unit, intervals as "lo to hi" (never "a-b", which is
ambiguous next to a minus sign), durations as "2 min 4 s", counts with thousands separators,
and changes in plain words."""

from __future__ import annotations

from datetime import datetime, timedelta

from cx_telemetry.metrics import Estimate
from cx_telemetry.report_figures import Figure
from cx_telemetry.stats import Comparison, say, say_gap

DASH = "-"  # an empty figure


def count(n: float) -> str:
    return f"{int(round(n)):,}"


def duration(seconds: float) -> str:
    """``4.2 s``, ``45 s``, ``2 min 4 s``, ``1 h 3 min``."""
    s = abs(seconds)
    sign = "-" if seconds < 0 and round(s, 1) > 0 else ""
    if s < 9.95:
        return f"{sign}{s:.1f} s"
    whole = int(round(s))
    if whole < 60:
        return f"{sign}{whole} s"
    if whole < 3600:
        m, sec = divmod(whole, 60)
        return f"{sign}{m} min {sec} s" if sec else f"{sign}{m} min"
    h, rest = divmod(whole, 3600)
    return f"{sign}{h} h {rest // 60} min"


def number(f: Figure, v: float) -> str:
    """A value of ``f`` without its unit sign for shares (``72.1``), with it for durations."""
    if f.unit == "s":
        return duration(v)
    if f.unit == "nps":  # -100 to +100, signed: "+23.4"
        return f"{v:+.1f}" if round(v, 1) else "0.0"
    return f"{v:.1f}" if f.unit == "%" else f"{v:.2f}"


def value(f: Figure, e: Estimate) -> str:
    if e.value is None:
        return DASH
    return number(f, e.value) + ("%" if f.unit == "%" else "")


def interval(f: Figure, e: Estimate) -> str:
    """``70.3 to 73.8`` (shares in %, the unit said once in the column header)."""
    if e.ci95 is None:
        return "n/a" if e.value is not None else ""
    return f"{number(f, e.ci95[0])} to {number(f, e.ci95[1])}"


def difference(f: Figure, d: float) -> str:
    """The size of a change, without its sign: ``2.1 points``, ``0.12``, ``14 s``."""
    if f.unit in ("%", "nps"):
        return f"{abs(d):.1f} points"
    if f.unit == "s":
        return duration(abs(d))
    return f"{abs(d):.2f}"


def signed(f: Figure, d: float) -> str:
    size = difference(f, d)
    if not any(ch in "123456789" for ch in size):  # rounds to zero
        return "±" + size
    return ("+" if d > 0 else "-") + size


def _amount(f: Figure, c: Comparison) -> str:
    """The size of the difference, or "" when it rounds to nothing."""
    if c.difference is None:
        return ""
    size = difference(f, c.difference)
    return "" if not any(ch in "123456789" for ch in size) else size


def change_words(f: Figure, c: Comparison | None, against: str = "the previous period") -> str:
    if c is None:
        return "no previous period to compare with (give --since)"
    return say(c, _amount(f, c), against)


def gap_words(f: Figure, c: Comparison, a: str, b: str) -> str:
    return say_gap(c, _amount(f, c), a, b)


def change_short(f: Figure, c: Comparison | None) -> str:
    """``+2.1 pts, a real change (p < 0.001)`` / ``-0.4 pts, not a change (p = 0.41)``."""
    if c is None:
        return "no earlier period"
    if c.difference is None:
        return "no data before"
    size = signed(f, c.difference).replace(" points", " pts")
    if c.p_value is None:
        return f"{size} (too few to test)"
    p = "p < 0.001" if c.p_value < 0.001 else f"p = {c.p_value:.3f}"
    return f"{size}, {'a real change' if c.significant else 'not a change'} ({p})"


def is_better(f: Figure, c: Comparison | None) -> bool | None:
    """True/False for a significant change for the better/worse; None when not a change."""
    if c is None or c.difference is None or not c.significant or c.difference == 0:
        return None
    return (c.difference > 0) == f.higher_is_better


def when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def day_range(start: datetime | None, end: datetime) -> str:
    """``2026-10-01 to 2026-10-31`` for [start, end) with ``end`` at midnight (the last day is
    the day before), else with times."""
    if start is None:
        return f"no data up to {end:%Y-%m-%d %H:%M} UTC"
    midnight = all(t.hour == t.minute == t.second == t.microsecond == 0 for t in (start, end))
    if midnight:
        last = end - timedelta(days=1)
        days = (end - start).days
        return f"{start:%Y-%m-%d} to {last:%Y-%m-%d} ({days} day{'s' if days != 1 else ''})"
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"


NOT_SURVEYED_WORDS = {"cooldown": "in the cooldown", "sampled_out": "left out by sampling",
                      "staff": "marked No survey by staff"}  # fmt: skip


def not_surveyed(counts: dict[str, int]) -> str:
    """``Surveys not asked on purpose: 12 in the cooldown, 40 left out by sampling`` or ""."""
    parts = [f"{count(n)} {NOT_SURVEYED_WORDS.get(k, k)}" for k, n in counts.items() if n]
    return "Surveys not asked on purpose (survey.yml): " + ", ".join(parts) if parts else ""


def not_yet_known(settled_before: datetime, unknown: int) -> str:
    """What durable containment leaves out: the conversations still inside their window."""
    text = (f"Durable containment counts support conversations closed by {when(settled_before)} "
            "(7 days before the end of the period), whose re-contact window has passed")  # fmt: skip
    if unknown:
        return f"{text}; {count(unknown)} closed later or still open: not yet known."
    return text + "."
