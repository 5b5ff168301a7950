"""What customers said: the newest low-score comments of the period, grouped by intent.

Comments are stored redacted (``privacy.redact``); they are shown as stored and escaped by the
renderer. A low score is CSAT 1-2 or CES 1-3 (the scores after which the survey asks for a
comment: ``low_score_at_or_below`` in survey.yml, read by ``low_scores``). The partial index
``ix_survey_responses_comments`` holds only rows with a comment, so this reads a few thousand
index entries, not the table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import Engine, and_, func, or_, select

from cx_telemetry.models import SurveyResponse
from cx_telemetry.report_sql import NONE, Period, filtered, reading, run

LOW = {"csat": 2, "ces": 3}  # survey.yml's defaults
PER_INTENT = 5


def low_scores(env: Mapping[str, str] | None = None) -> dict[str, int]:
    """The low-score thresholds of the CX lead's survey file (``CX_SURVEY_CONFIG``, default
    ./survey.yml: ``low_score_at_or_below`` of each metric), read straight from the file (the
    dialogue's ``actions.survey_config`` checks the whole file when ``make run`` starts);
    survey.yml's defaults when it cannot be read."""
    env = os.environ if env is None else env
    path = Path(env.get("CX_SURVEY_CONFIG") or "survey.yml")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        found = {str(m["id"]): int(m["low_score_at_or_below"]) for m in doc["metrics"]}
    except (OSError, yaml.YAMLError, TypeError, KeyError, ValueError):
        return dict(LOW)
    return {**LOW, **found}


@dataclass(frozen=True)
class Comment:
    intent: str
    metric: str
    score: int
    scale_max: int
    channel: str
    segment: str
    agent: str | None
    at: datetime
    text: str


@dataclass(frozen=True)
class IntentComments:
    intent: str
    total: int  # low-score comments of this intent in the period
    newest: list[Comment]


def low_score_comments(
    engine: Engine, period: Period, low: dict[str, int] | None = None, per_intent: int = PER_INTENT
) -> list[IntentComments]:
    """Up to ``per_intent`` newest comments per intent after a score at or below ``low[metric]``
    (default ``LOW``), intents with the most comments first."""
    r = SurveyResponse
    low_score = or_(*(and_(r.metric == m, r.score <= top) for m, top in (low or LOW).items()))
    newest_first = (r.answered_at.desc(), r.id.desc())
    ranked = select(
        r.id,
        func.row_number().over(partition_by=r.intent, order_by=newest_first).label("rank"),
        func.count().over(partition_by=r.intent).label("total"),
    ).where(r.comment.is_not(None), r.status == "answered", low_score)
    ranked = filtered(ranked, r.asked_at, r.synthetic, period.since, period.until, period)
    with reading(engine) as conn:
        # rank on the small partial index first, then read the few rows kept
        ids = {i: total for i, rank, total in run(conn, ranked, "ix_survey_responses_comments")
               if rank <= per_intent}  # fmt: skip
        rows = conn.execute(
            select(r.id, r.intent, r.metric, r.score, r.scale_max, r.channel, r.segment, r.agent,
                   r.answered_at, r.asked_at, r.comment).where(r.id.in_(list(ids)))
        ).all() if ids else []  # fmt: skip
    groups: dict[str, IntentComments] = {}
    for row in sorted(rows, key=lambda x: (x.answered_at or x.asked_at, x.id), reverse=True):
        intent = row.intent or NONE
        g = groups.setdefault(intent, IntentComments(intent, ids[row.id], []))
        g.newest.append(Comment(intent, row.metric, row.score, row.scale_max, row.channel or NONE,
                                row.segment, row.agent, row.answered_at or row.asked_at,
                                row.comment))  # fmt: skip
    return sorted(groups.values(), key=lambda g: (-g.total, g.intent))
