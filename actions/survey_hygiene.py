"""Survey hygiene: whether a conversation that could get the survey should (``survey.yml``:
``cooldown_days``, ``sample_rate``; staff's "No survey" on a case), and why not; and whether
the NPS question is due for the customer (``nps.interval_days``).

Each reason is recorded on the conversation (``not_surveyed``), so a CX lead can tell a survey
never asked from one never answered.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime

from actions.survey_config import SurveyConfig
from contract import utcnow
from cx_telemetry import ConversationInfo, best_effort

log = logging.getLogger(__name__)

LastSurveyed = Callable[[str, str | None, str | None], datetime | None]


def sampled_in(cid: str, rate: float) -> bool:
    """Whether conversation ``cid`` is in the sample: the same answer every time it is asked
    (a replayed idle timer, a second gateway), and ``rate`` of all conversations in the long
    run."""
    if rate >= 1.0:
        return True
    draw = int.from_bytes(hashlib.sha256(cid.encode()).digest()[:8], "big") / 2**64
    return draw < rate


def reason_not_to_survey(
    config: SurveyConfig,
    info: ConversationInfo,
    last_surveyed: LastSurveyed,
    now: datetime | None = None,
) -> str | None:
    """``staff``, ``cooldown`` or ``sampled_out`` when the conversation gets no survey, else
    None. Staff's "No survey" is on the conversation already (the gateway records it when
    pressed). A failed look-up of the customer's last survey does not hold the survey back."""
    if info.not_surveyed:
        return info.not_surveyed
    if config.cooldown and info.customer_key:
        last = best_effort(
            "last survey of the customer", last_surveyed, info.customer_key, None, info.id
        )
        if last is not None and last > (now or utcnow()) - config.cooldown:
            return "cooldown"
    if not sampled_in(info.id, config.sample_rate):
        return "sampled_out"
    return None


def nps_due(
    config: SurveyConfig,
    info: ConversationInfo | None,
    last_surveyed: LastSurveyed,
    now: datetime | None = None,
) -> bool:
    """NPS is on and this customer was not asked it within ``nps.interval_days`` (in another
    conversation: this one may be asking it right now). When the look-up fails the question is
    left out: asking a customer twice in a month is worse than missing one answer."""
    if config.nps is None or info is None or not info.customer_key:
        return False
    try:
        last = last_surveyed(info.customer_key, config.nps.id, info.id)
    except Exception:
        log.exception("telemetry last NPS of the customer failed")
        return False
    return last is None or last <= (now or utcnow()) - config.nps_interval
