"""The detractor alerts' settings (part of the gateway's ``Settings``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from cx_telemetry.report_comments import low_scores

DEFAULT_COOLDOWN_HOURS = 24.0
DEFAULT_POLL_SECONDS = 10.0


@dataclass(frozen=True)
class AlertSettings:
    """``channel`` None: the staff channel. A CSAT at or below ``csat_threshold`` (survey.yml's
    ``low_score_at_or_below``) is a detractor. ``customer_cooldown``: at most one card per
    customer in this window (0: every response). ``comment_grace``: how long a card waits for
    the comment the survey asks for right after a low score; ``lookback``: how old an answer
    may be and still be alerted (a gateway that was down catches up on this much)."""

    channel: str | None = None
    csat_threshold: int = 2
    customer_cooldown: timedelta = timedelta(hours=DEFAULT_COOLDOWN_HOURS)
    poll_seconds: float = DEFAULT_POLL_SECONDS  # 0 turns the alerts off
    comment_grace: timedelta = timedelta(seconds=30)
    lookback: timedelta = timedelta(hours=1)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AlertSettings:
        env = os.environ if env is None else env
        return cls(
            channel=env.get("SLACK_CX_ALERTS_CHANNEL") or None,
            csat_threshold=low_scores(env)["csat"],
            customer_cooldown=timedelta(
                hours=float(env.get("CX_ALERT_CUSTOMER_COOLDOWN_HOURS") or DEFAULT_COOLDOWN_HOURS)
            ),
            poll_seconds=float(env.get("CX_ALERT_POLL_SECONDS") or DEFAULT_POLL_SECONDS),
        )
