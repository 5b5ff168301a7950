"""The eleven figures of the report: which sums each one is computed from, its scale, its test.

The SQL in ``report`` produces additive sums per group (counts, sums, sums of squares); a
figure turns one group's sums into an :class:`Estimate`, and two groups' sums into a
:class:`Comparison`. Missing sums count as zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from cx_telemetry.metrics import Estimate, mean_t, share_pct
from cx_telemetry.stats import Comparison, two_proportions, welch

Sums = dict[str, float]


@dataclass(frozen=True)
class Figure:
    """A share (``k`` of ``n``, in %) or a mean (``total``/``sq`` over ``n``) on a scale."""

    key: str
    label: str
    unit: str  # "%", "s" (a duration), "nps" (-100 to +100) or "" (a score)
    n: str
    k: str = ""
    total: str = ""
    sq: str = ""
    lo: float = 0.0
    hi: float | None = 100.0
    higher_is_better: bool = True

    @property
    def is_share(self) -> bool:
        return bool(self.k)

    def estimate(self, s: Sums) -> Estimate:
        n = _int(s, self.n)
        if self.is_share:
            return share_pct(_int(s, self.k), n)
        return mean_t(n, s.get(self.total, 0.0), s.get(self.sq, 0.0), self.lo, self.hi)

    def compare(self, a: Sums, b: Sums) -> Comparison:
        """``a`` against ``b`` (e.g. this period against the previous one)."""
        if self.is_share:
            return two_proportions(
                _int(a, self.k), _int(a, self.n), _int(b, self.k), _int(b, self.n)
            )
        return welch(
            _int(a, self.n), a.get(self.total, 0.0), a.get(self.sq, 0.0),
            _int(b, self.n), b.get(self.total, 0.0), b.get(self.sq, 0.0),
        )  # fmt: skip


def _int(s: Sums, name: str) -> int:
    return int(round(s.get(name, 0.0)))


def _share(key: str, label: str, k: str, n: str, better: bool = True) -> Figure:
    return Figure(key, label, "%", n=n, k=k, higher_is_better=better)


def _mean(key: str, label: str, name: str, lo: float, hi: float | None, unit: str) -> Figure:
    return Figure(
        key, label, unit, n=f"{name}_n", total=f"{name}_sum", sq=f"{name}_sq", lo=lo, hi=hi,
        higher_is_better=unit != "s",
    )  # fmt: skip


FIGURES = (
    _share("csat_pct", "CSAT", "csat_k", "csat_n"),
    _mean("ces_mean", "CES mean (1-7)", "ces", 1.0, 7.0, ""),
    _share("ces_easy_pct", "CES easy (5-7)", "ces_k", "ces_n"),
    _mean("nps", "NPS", "nps", -100.0, 100.0, "nps"),
    _share("response_rate_pct", "Response rate", "csat_answered", "csat_asked"),
    _share("containment_pct", "Containment", "contained", "support"),
    _share("durable_containment_pct", "Durable containment", "durable", "settled"),
    _share("escalation_pct", "Escalation", "escalated", "support", better=False),
    _mean("handoff_wait_s", "Handoff wait", "wait", 0.0, None, "s"),
    _mean("agent_first_response_s", "Agent first response", "first", 0.0, None, "s"),
    _mean("handle_time_s", "Handle time", "handle", 0.0, None, "s"),
)
BY_KEY = {f.key: f for f in FIGURES}
METRIC_KEYS = tuple(f.key for f in FIGURES)


def estimates(s: Sums, keys: tuple[str, ...] = METRIC_KEYS) -> dict[str, Estimate]:
    """The figures ``keys`` of one group from its sums."""
    return {k: BY_KEY[k].estimate(s) for k in keys}
