"""The values telemetry's writers accept (metrics and their scales, turn authors, outcomes,
reasons) and the check that turns a wrong one into ``InvalidTelemetry`` before anything is
written."""

from __future__ import annotations

from typing import Any

from cx_telemetry.errors import InvalidTelemetry

METRIC_SCALES = {"csat": 5, "ces": 7, "nps": 10}
METRIC_LOWEST = {"nps": 0}  # the other scales start at 1
TURN_BY = ("customer", "bot", "agent")
END_STATUSES = ("skipped", "expired", "abandoned")
OUTCOMES = ("contained", "escalated", "abandoned")
HANDOFF_OUTCOMES = ("resolved", "returned", "cancelled", "timed_out")
ATTEMPT_KINDS = ("order_email", "code_request", "code")
ATTEMPT_OUTCOMES = ("ok", "wrong", "expired", "no_code", "locked", "mail_failed")
SEGMENTS = ("bot", "agent")
NOT_SURVEYED = ("cooldown", "sampled_out", "staff")


def check(value: Any, allowed: tuple[Any, ...], what: str) -> None:
    if value not in allowed:
        raise InvalidTelemetry(f"{what} must be one of {allowed}, not {value!r}")


def check_score(metric: str, score: int) -> None:
    """A score on the metric's scale (1..scale_max; NPS 0..10), and not a bool."""
    lowest = METRIC_LOWEST.get(metric, 1)
    if isinstance(score, bool) or not isinstance(score, int) or not lowest <= score <= 10:
        raise InvalidTelemetry(f"score must be an integer on the survey scale, not {score!r}")
