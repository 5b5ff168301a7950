"""Is a change a change? Two-sided tests between two periods or two groups, said in plain words.

* shares (CSAT %, containment, ...): the two-proportion z test with the pooled proportion;
* means (CES, durations): Welch's t test (unequal variances, Welch-Satterthwaite degrees of
  freedom), with the t distribution's tail from the regularised incomplete beta function.

A difference is called a change only when p < 0.05; otherwise the words say it is within the
noise of the two samples, however large it looks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ALPHA = 0.05


@dataclass(frozen=True)
class Comparison:
    """``a`` against ``b``: the difference ``a - b`` (None when either side has no data), the
    test used and its two-sided p-value (None when the test cannot be run)."""

    difference: float | None
    test: str
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    def as_dict(self) -> dict[str, object]:
        return {
            "difference": None if self.difference is None else round(self.difference, 4),
            "test": self.test,
            "p_value": None if self.p_value is None else round(self.p_value, 4),
            "significant": self.significant,
        }


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz, as in Numerical
    Recipes' ``betacf``)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0

    def guard(v: float) -> float:
        return v if abs(v) > tiny else tiny

    c, d = 1.0, 1.0 / guard(1.0 - qab * x / qap)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        even = m * (b - m) * x / ((qam + m2) * (a + m2))
        d, c = 1.0 / guard(1.0 + even * d), guard(1.0 + even / c)
        h *= d * c
        odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d, c = 1.0 / guard(1.0 + odd * d), guard(1.0 + odd / c)
        h *= d * c
        if abs(d * c - 1.0) < 1e-14:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b) for 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| > |t|) for Student's t with ``df`` (possibly fractional) degrees of freedom."""
    return betainc(df / 2.0, 0.5, df / (df + t * t))


def two_proportions(k1: int, n1: int, k2: int, n2: int) -> Comparison:
    """Share ``k1/n1`` against ``k2/n2``, difference in percentage points."""
    test = "two-proportion z test"
    if n1 <= 0 or n2 <= 0:
        return Comparison(None, test, None)
    diff = 100.0 * (k1 / n1 - k2 / n2)
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se == 0.0:
        return Comparison(diff, test, 1.0)  # both 0% or both 100%
    return Comparison(diff, test, min(1.0, 2.0 * normal_sf(abs(diff / 100.0) / se)))


def welch(n1: int, sum1: float, sq1: float, n2: int, sum2: float, sq2: float) -> Comparison:
    """Mean of sample 1 against mean of sample 2, each given as n, sum and sum of squares."""
    test = "Welch t test"
    if n1 <= 0 or n2 <= 0:
        return Comparison(None, test, None)
    m1, m2 = sum1 / n1, sum2 / n2
    if n1 < 2 or n2 < 2:
        return Comparison(m1 - m2, test, None)
    v1 = max(0.0, (sq1 - sum1 * sum1 / n1) / (n1 - 1)) / n1
    v2 = max(0.0, (sq2 - sum2 * sum2 / n2) / (n2 - 1)) / n2
    if v1 + v2 == 0.0:
        return Comparison(m1 - m2, test, 1.0 if m1 == m2 else 0.0)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    return Comparison(m1 - m2, test, t_two_sided_p((m1 - m2) / math.sqrt(v1 + v2), df))


def _p(c: Comparison) -> str:
    assert c.p_value is not None
    return "p < 0.001" if c.p_value < 0.001 else f"p = {c.p_value:.3f}"


def say(c: Comparison, amount: str, against: str = "the previous period") -> str:
    """A change in plain words, e.g. "up 2.1 points on the previous period: a real change
    (p = 0.003)"; ``amount`` is the size of the difference as the reader should see it, without
    its sign, and "" when it rounds to nothing."""
    if c.difference is None:
        return f"no data in {against} to compare with"
    if c.p_value is None:
        return f"too few answers to test against {against}"
    if not amount or c.difference == 0:
        return f"the same as {against} ({_p(c)})"
    direction = "up" if c.difference > 0 else "down"
    verdict = "a real change" if c.significant else "within chance, not a change"
    return f"{direction} {amount} on {against}: {verdict} ({_p(c)})"


def say_gap(c: Comparison, amount: str, a: str, b: str) -> str:
    """A difference between two groups in plain words, e.g. "the bot is 0.4 points higher than
    the agents: within chance, not a real difference (p = 0.232)"."""
    if c.difference is None:
        return f"no data for {a} or {b} to compare"
    if c.p_value is None:
        return f"too few answers to compare {a} with {b}"
    if not amount or c.difference == 0:
        return f"{a} and {b} are the same ({_p(c)})"
    direction = "higher" if c.difference > 0 else "lower"
    verdict = "a real difference" if c.significant else "within chance, not a real difference"
    return f"{a} is {amount} {direction} than {b}: {verdict} ({_p(c)})"
