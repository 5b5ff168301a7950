"""Metric definitions (version 5) and the statistics behind every reported figure.

Every figure carries its ``n`` (how many answers, conversations or handoffs it is computed on)
and a 95% interval:

* shares (CSAT %, CES easy %, response rate, containment, durable containment, escalation) use the Wilson score
  interval, which stays inside 0-100% and behaves for small n and for 0% / 100%;
* NPS (% promoters 9-10 minus % detractors 0-6, -100 to +100) is the mean of +100 per
  promoter, 0 per passive and -100 per detractor, so its interval is the Student t interval
  of that mean (the usual NPS margin of error), clamped to -100..+100;
* means (CES mean and the durations in seconds) use the Student t interval
  ``mean ± t(0.975, n-1) · s/√n``. Durations are reported as **means**, not medians, because
  means (and their intervals) come straight out of SQL sums over a million rows in one pass;
  wait and handle times are right-skewed, so read the interval, not just the value. With n=1
  the interval is null (no spread can be estimated); with n=0 the value is null too.
  Mean intervals are clamped to the scale (CES 1-7, durations >= 0): a small sample never
  reports a CES below 1 or a negative wait.

Version 2 (over version 1): clamped mean intervals, the bot-vs-agent split, the change against
the previous period and its test. Version 3: NPS. Version 4: durable containment. Version 5: effort drivers (``effort_drivers``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

METRIC_DEFINITIONS_VERSION = 5
METRIC_DEFINITIONS = (
    "cx-telemetry metric-definitions v5: "
    "csat_pct = answers scoring 4-5 / all answers on the 1-5 scale; "
    "ces_mean = mean answer on the 1-7 CES 2.0 scale; ces_easy_pct = answers 5-7 / all CES answers; "
    "nps = % promoters (9-10) - % detractors (0-6) of answers on the 0-10 scale, -100 to +100, "
    "interval: Student t of the mean of +100/0/-100 per answer; "
    "response_rate_pct = CSAT answered / CSAT asked; "
    "containment_pct = support-intent conversations closed without a handoff / "
    "conversations with a support intent; "
    "durable_containment_pct = support-intent conversations closed without a handoff and not "
    "recontacted (the customer back on any channel about the same support intent or order "
    "within 7 days) / support-intent conversations closed at least 7 days before the period's "
    "end (the later ones are not yet known and left out); "
    "escalation_pct = support-intent conversations with a handoff / "
    "conversations with a support intent; "
    "handoff_wait_s = claimed - requested; agent_first_response_s = first agent reply - requested; "
    "handle_time_s = resolved - claimed; "
    "bot vs agent = survey answers by segment (bot: the bot closed the conversation; agent: an "
    "agent resolved it); "
    "shares with Wilson 95% intervals, means with Student t 95% intervals clamped to the scale; "
    "change = this period minus the previous period of equal length, a change when p < 0.05 "
    "(two-proportion z test for shares, Welch t test for means); "
    "effort drivers = mean CES of conversations with an answered CES with a driver (a fallback "
    "or clarification offered; a handoff; a handoff wait over 180 s; more than 8 customer "
    "turns) minus without it, Welch 95% interval of the difference"
)

Z95 = 1.959963984540054
# two-sided 95% Student t quantiles for 1..30 degrees of freedom
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


@dataclass(frozen=True)
class Estimate:
    """A reported figure: its value (None when n is 0), its n and its 95% interval."""

    value: float | None
    n: int
    ci95: tuple[float, float] | None

    def as_dict(self) -> dict[str, object]:
        ci = [round(self.ci95[0], 4), round(self.ci95[1], 4)] if self.ci95 else None
        return {
            "value": None if self.value is None else round(self.value, 4),
            "n": self.n,
            "ci95": ci,
        }


def t975(df: int) -> float:
    """Two-sided 95% Student t quantile for ``df`` degrees of freedom (table up to 30, then
    the Cornish-Fisher expansion around the normal quantile, accurate to ~1e-3)."""
    if df < 1:
        raise ValueError("df must be >= 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z = Z95
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def share_pct(k: int, n: int) -> Estimate:
    """``k`` out of ``n`` as a percentage with its Wilson 95% interval (in percent)."""
    if n <= 0:
        return Estimate(None, 0, None)
    p = k / n
    z2 = Z95 * Z95
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return Estimate(100 * p, n, (100 * max(0.0, centre - half), 100 * min(1.0, centre + half)))


def mean_t(
    n: int, total: float, total_sq: float, lo: float | None = None, hi: float | None = None
) -> Estimate:
    """Mean of ``n`` values given their sum and sum of squares, with a Student t 95% interval
    (null for n < 2) clamped to the scale ``lo``..``hi`` (None = unbounded)."""
    if n <= 0:
        return Estimate(None, 0, None)
    mean = total / n
    if n == 1:
        return Estimate(mean, 1, None)
    var = max(0.0, (total_sq - total * total / n) / (n - 1))
    half = t975(n - 1) * math.sqrt(var / n)
    low, high = mean - half, mean + half
    if lo is not None:
        low = max(lo, low)
    if hi is not None:
        high = min(hi, high)
    return Estimate(mean, n, (low, high))
