"""The typed values of a detractor alert: what the card shows, and a Follow up press. Pure."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from cx_telemetry.detractors import LowScore

FOLLOW_UP_REASON = "detractor_follow_up"


@dataclass(frozen=True)
class Alert:
    """One detractor alert as the card shows it (kept as ``details`` for later updates)."""

    key: str
    metric: str
    score: int
    scale_max: int
    answered_at: datetime
    comment: str | None  # redacted
    intent: str | None
    segment: str
    agent: str | None
    channel: str | None
    customer: str  # pseudonym
    transcript: tuple[str, ...] = ()  # redacted
    reachable: bool = False  # the customer's chat is known: Follow up can reach them
    followed_up_by: str | None = None  # Slack user id

    @classmethod
    def of(cls, low: LowScore, transcript: list[str], reachable: bool) -> Alert:
        return cls(
            key=low.key, metric=low.metric, score=low.score, scale_max=low.scale_max,
            answered_at=low.answered_at, comment=low.comment, intent=low.intent,
            segment=low.segment, agent=low.agent, channel=low.channel, customer=low.customer,
            transcript=tuple(transcript), reachable=reachable,
        )  # fmt: skip

    def to_details(self) -> dict[str, Any]:
        data = asdict(self)
        data["answered_at"] = self.answered_at.isoformat()
        data["transcript"] = list(self.transcript)
        return data

    @classmethod
    def from_details(cls, data: dict[str, Any]) -> Alert:
        return cls(
            **{
                **data,
                "answered_at": datetime.fromisoformat(str(data["answered_at"])),
                "transcript": tuple(data.get("transcript") or ()),
            }
        )


@dataclass(frozen=True)
class FollowUpPress:
    """Someone on staff pressed Follow up on the card of alert ``key``."""

    key: str
    user_id: str
    delivery_key: str


@dataclass(frozen=True)
class AlertRecord:
    """An alert as the gateway keeps it (``detractor_alerts``)."""

    key: str
    conversation_id: str
    customer: str
    status: str
    alert_channel: str | None
    card_ts: str | None
    sender_id: str | None
    address: dict[str, Any] | None
    alert: Alert | None
    handoff_id: str | None
    followed_up_by: str | None
