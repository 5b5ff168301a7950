"""Low scores as they come in, for the gateway's detractor alerts (``bot/alerts``).

The gateway polls this every few seconds: it reads only the answers of the last hour or so
(``asked_at`` leads the report index, so the range is an index scan), never the whole table.
Customers appear as pseudonyms and comments as stored (redacted), like everywhere in telemetry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from cx_telemetry.db import outages_raise
from cx_telemetry.errors import StoreUnavailable
from cx_telemetry.models import Conversation, SurveyResponse

# A survey is answered within a day of being asked (survey.yml's timeouts are minutes): older
# questions are not read, which keeps the poll on the index.
ANSWER_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class LowScore:
    """One answered survey question at or below the alert threshold."""

    key: str  # conversation id and metric: one alert per survey response
    conversation_id: str
    metric: str
    score: int
    scale_max: int
    answered_at: datetime
    comment: str | None  # redacted
    intent: str | None
    segment: str  # bot | agent
    agent: str | None
    channel: str | None
    customer: str  # the customer key: one customer across channels (pseudonym)
    synthetic: bool


def low_scores_since(
    engine: Engine, since: datetime, threshold: int, metric: str = "csat"
) -> list[LowScore]:
    """Answers of ``metric`` at or below ``threshold`` answered at or after ``since``, oldest
    first. Raises ``StoreUnavailable`` when the database cannot be read."""
    r, c = SurveyResponse, Conversation
    stmt = (
        select(
            r.conversation_id, r.metric, r.score, r.scale_max, r.answered_at, r.comment,
            r.intent, r.segment, r.agent, r.channel, r.synthetic, c.customer_key, c.customer,
        )
        .join(c, c.id == r.conversation_id, isouter=True)
        .where(
            r.asked_at >= since - ANSWER_WINDOW,
            r.metric == metric,
            r.status == "answered",
            r.score <= threshold,
            r.answered_at >= since,
        )
        .order_by(r.answered_at, r.id)
    )  # fmt: skip
    with outages_raise(StoreUnavailable, engine.url), engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [
        LowScore(
            key=f"{row.conversation_id}:{row.metric}",
            conversation_id=row.conversation_id,
            metric=row.metric,
            score=int(row.score),
            scale_max=int(row.scale_max),
            answered_at=row.answered_at,
            comment=row.comment,
            intent=row.intent,
            segment=row.segment,
            agent=row.agent,
            channel=row.channel,
            # a response whose conversation row has not landed yet: keyed by its conversation
            customer=row.customer_key or row.customer or f"conversation:{row.conversation_id}",
            synthetic=bool(row.synthetic),
        )
        for row in rows
    ]
