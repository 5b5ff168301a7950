"""Detractor alerts in the gateway's database (``detractor_alerts``): one row per survey
response, claimed with an insert that only one gateway wins, so a replayed answer, a second
poll or a second gateway never posts a second card. Like all gateway state, calls raise
``StateUnavailable`` during an outage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from bot.alerts.values import Alert, AlertRecord
from bot.messages import Address
from bot.state.database import GatewayDatabase
from bot.state.schema import DetractorAlert, HandoffCase, TimerRow
from contract import IDLE_TIMER
from cx_telemetry.db import dialect_insert
from cx_telemetry.detractors import LowScore

# A claim whose gateway died before posting is taken over after this.
CLAIM_LEASE = timedelta(minutes=2)


class AlertStore:
    """Construction does no I/O."""

    def __init__(self, db: GatewayDatabase) -> None:
        self.db = db

    def known(self, keys: Sequence[str]) -> set[str]:
        """The keys that already have a row (posted, suppressed, or being posted)."""
        if not keys:
            return set()
        return self.db.read(
            lambda s: set(
                s.scalars(select(DetractorAlert.key).where(DetractorAlert.key.in_(list(keys))))
            )
        )

    def claim(self, low: LowScore, now: datetime, cooldown: timedelta) -> str | None:
        """``"claimed"``: this caller posts the card; ``"suppressed"``: the customer had a card
        within ``cooldown`` (recorded, never posted); None: someone else has it."""
        return self.db.run(lambda s: _claim(s, low, now, cooldown))

    def chat_of(self, conversation_id: str) -> tuple[str, dict[str, Any]] | None:
        """Where the customer of a conversation can be reached, ``(sender id, address)``: the
        conversation's idle timer (rescheduled after every bot answer, so there after a survey
        answer), else its newest handoff case. None when the gateway has neither."""

        def read(s: Session) -> tuple[str, dict[str, Any]] | None:
            payload = s.scalar(
                select(TimerRow.payload).where(
                    TimerRow.kind == IDLE_TIMER, TimerRow.conversation_id == conversation_id
                )
            )
            address = (payload or {}).get("address")
            if address:
                return _sender(address), dict(address)
            case = s.scalars(
                select(HandoffCase)
                .where(HandoffCase.conversation_id == conversation_id)
                .order_by(HandoffCase.requested_at.desc())
            ).first()
            if case is not None and case.address:
                return case.sender_id, dict(case.address)
            return None

        return self.db.read(read)

    def posted(
        self,
        key: str,
        alert: Alert,
        channel: str,
        card_ts: str,
        chat: tuple[str, dict[str, Any]] | None,
        at: datetime,
    ) -> None:
        values: dict[str, Any] = {
            "status": "posted",
            "posted_at": at,
            "alert_channel": channel,
            "card_ts": card_ts,
            "details": alert.to_details(),
        }
        if chat is not None:
            values.update(sender_id=chat[0], address=chat[1])
        self.db.run(
            lambda s: s.execute(
                update(DetractorAlert).where(DetractorAlert.key == key).values(**values)
            )
        )

    def release(self, key: str) -> None:
        """The card could not be posted: forget the claim, so the next poll tries again."""
        self.db.run(
            lambda s: s.execute(
                delete(DetractorAlert).where(
                    DetractorAlert.key == key, DetractorAlert.status == "claimed"
                )
            )
        )

    def record(self, key: str) -> AlertRecord | None:
        return self.db.read(lambda s: _record(s.get(DetractorAlert, key)))

    def posted_records(self, keys: Sequence[str]) -> list[AlertRecord]:
        """The posted alerts among ``keys``."""

        def read(s: Session) -> list[AlertRecord]:
            rows = s.scalars(
                select(DetractorAlert).where(
                    DetractorAlert.key.in_(list(keys)), DetractorAlert.status == "posted"
                )
            )
            return [r for r in (_record(row) for row in rows) if r is not None]

        return self.db.read(read) if keys else []

    def set_details(self, key: str, alert: Alert) -> None:
        """What the card shows now (a comment that came after it was posted)."""
        self.db.run(
            lambda s: s.execute(
                update(DetractorAlert)
                .where(DetractorAlert.key == key)
                .values(details=alert.to_details())
            )
        )

    def follow_up(self, key: str, handoff_id: str, user_id: str) -> bool:
        """Take the alert's follow-up: True for exactly one caller (one case per alert)."""

        def write(s: Session) -> bool:
            result: Any = s.execute(
                update(DetractorAlert)
                .where(DetractorAlert.key == key, DetractorAlert.handoff_id.is_(None))
                .values(handoff_id=handoff_id, followed_up_by=user_id)
            )
            return bool(result.rowcount)

        return self.db.run(write)

    def set_follow_up_case(self, key: str, handoff_id: str | None) -> None:
        """The case the follow-up went to (the customer's open one), or None to free the
        button again when no case could be opened."""
        values: dict[str, Any] = {"handoff_id": handoff_id}
        if handoff_id is None:
            values["followed_up_by"] = None
        self.db.run(
            lambda s: s.execute(
                update(DetractorAlert).where(DetractorAlert.key == key).values(**values)
            )
        )


def _claim(s: Session, low: LowScore, now: datetime, cooldown: timedelta) -> str | None:
    recent = s.scalar(
        select(DetractorAlert.key).where(
            DetractorAlert.customer == low.customer,
            DetractorAlert.status.in_(("claimed", "posted")),
            DetractorAlert.claimed_at > now - cooldown,
            DetractorAlert.key != low.key,
        )
    )
    status = "suppressed" if recent is not None and cooldown > timedelta(0) else "claimed"
    table: Table = DetractorAlert.__table__  # type: ignore[assignment]
    ins = dialect_insert(table, s.get_bind().dialect.name)
    result: Any = s.execute(
        ins.values(
            key=low.key,
            conversation_id=low.conversation_id,
            customer=low.customer,
            status=status,
            claimed_at=now,
            details={},
        )
        .on_conflict_do_nothing()
        .returning(DetractorAlert.key)
    )
    if result.first() is not None:
        return status
    # a claim whose gateway died before it posted: taken over after the lease
    stale: Any = s.execute(
        update(DetractorAlert)
        .where(
            DetractorAlert.key == low.key,
            DetractorAlert.status == "claimed",
            DetractorAlert.claimed_at < now - CLAIM_LEASE,
        )
        .values(claimed_at=now)
    )
    return "claimed" if stale.rowcount else None


def _sender(address: dict[str, Any]) -> str:
    return Address.from_payload(address).sender_id


def _record(row: DetractorAlert | None) -> AlertRecord | None:
    if row is None:
        return None
    return AlertRecord(
        key=row.key,
        conversation_id=row.conversation_id,
        customer=row.customer,
        status=row.status,
        alert_channel=row.alert_channel,
        card_ts=row.card_ts,
        sender_id=row.sender_id,
        address=dict(row.address) if row.address else None,
        alert=Alert.from_details(row.details) if row.details else None,
        handoff_id=row.handoff_id,
        followed_up_by=row.followed_up_by,
    )
