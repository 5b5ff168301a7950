"""The inbox in the gateway's database: an accepted delivery is one row, written in the same
transaction as its dedupe key, so a 200 to the platform means the work is durable. A gateway
leases a row while it works on it; when the lease runs out (the gateway died), any gateway takes
the row over, after a grace period (see :meth:`InboxStore.claim_waiting`). Only the oldest row of a conversation is ever leased, so one conversation's
messages are handled one at a time, in the order they arrived."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from bot.state.database import GatewayDatabase
from bot.state.deliveries import first_delivery
from bot.state.schema import InboxRow


@dataclass(frozen=True)
class InboxItem:
    """A row leased to this gateway until ``claimed_until``."""

    id: int
    channel: str
    conversation_key: str
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 1


@dataclass(frozen=True)
class Accepted:
    """What :meth:`InboxStore.accept` did: ``first`` is False for a duplicate delivery;
    ``item`` is the new row when it was leased to us at once (no older row of its conversation
    is waiting), else it waits for the row ahead of it."""

    first: bool
    item: InboxItem | None = None


class InboxStore:
    """Every call raises ``StateUnavailable`` when the database is down."""

    def __init__(
        self, db: GatewayDatabase, owner: str, lease: timedelta, grace: timedelta | None = None
    ) -> None:
        self.db = db
        self.owner = owner
        self.lease = lease
        self.grace = lease if grace is None else grace

    def accept(
        self,
        delivery_key: str,
        channel: str,
        conversation_key: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> Accepted:
        """Record a delivery once (any gateway), with its inbox row, in one transaction."""

        def write(s: Session) -> Accepted:
            _lock_conversation(s, conversation_key)
            if not first_delivery(s, delivery_key, now):
                return Accepted(first=False)
            row = InboxRow(
                delivery_key=delivery_key,
                channel=channel,
                conversation_key=conversation_key,
                payload=dict(payload),
                received_at=now,
                attempts=0,
            )
            s.add(row)
            s.flush()
            item = _lease(s, row.id, self.owner, now, now + self.lease)
            return Accepted(first=True, item=item)

        return self.db.run(write)

    def finish_and_next(self, item: InboxItem, now: datetime) -> InboxItem | None:
        """Delete a handled row; lease the next row of its conversation, if one is waiting."""

        def write(s: Session) -> InboxItem | None:
            _lock_conversation(s, item.conversation_key)
            s.execute(delete(InboxRow).where(InboxRow.id == item.id))
            next_id = s.scalar(
                select(func.min(InboxRow.id)).where(
                    InboxRow.conversation_key == item.conversation_key
                )
            )
            if next_id is None:
                return None
            return _lease(s, next_id, self.owner, now, now + self.lease)

        return self.db.run(write)

    def claim_waiting(self, now: datetime, limit: int = 20) -> list[InboxItem]:
        """Lease the oldest row of each conversation that nobody holds: never leased (its
        accepting gateway could not) or leased by a gateway whose lease ran out *and* that did
        not come back during a grace period.

        A lease also runs out while the database is down, though its holder is alive and only
        waiting to renew it or to delete the row it has answered. So the first poll that sees
        a lease run out does not take the row: it marks the holder stale (``claimed_by`` gets
        the ``?`` prefix) and gives it ``grace`` more, counted from now, when the database is
        reachable again. A live holder renews (:meth:`extend`, which clears the mark) or
        deletes the row well within it (it retries at least every ``lease / 3``); only a row
        still marked when the grace is over is taken. A dead gateway's rows thus resume after
        lease + grace instead of lease."""

        def write(s: Session) -> list[InboxItem]:
            ran_out = s.execute(
                select(InboxRow.id, InboxRow.claimed_by).where(
                    InboxRow.claimed_by.is_not(None),
                    InboxRow.claimed_by.not_like(f"{STALE}%"),
                    InboxRow.claimed_until < now,
                )
            ).all()
            for row_id, holder in ran_out:
                s.execute(
                    update(InboxRow)
                    .where(InboxRow.id == row_id, InboxRow.claimed_by == holder)
                    .values(claimed_by=f"{STALE}{holder}"[:64], claimed_until=now + self.grace)
                    .execution_options(synchronize_session=False)
                )
            ids = s.scalars(
                select(InboxRow.id)
                .where(_free(now), _oldest_of_its_conversation())
                .order_by(InboxRow.id)
                .limit(limit)
            ).all()
            leased = [_lease(s, i, self.owner, now, now + self.lease) for i in ids]
            return [item for item in leased if item is not None]

        return self.db.run(write)

    def extend(self, item: InboxItem, now: datetime) -> bool:
        """Renew our lease on a row still being worked on (also in its grace period, which
        this ends); False if it is no longer ours."""

        def write(s: Session) -> bool:
            ours = (self.owner, f"{STALE}{self.owner}"[:64])
            result = s.execute(
                update(InboxRow)
                .where(InboxRow.id == item.id, InboxRow.claimed_by.in_(ours))
                .values(claimed_by=self.owner, claimed_until=now + self.lease)
            )
            return bool(getattr(result, "rowcount", 0))

        return self.db.run(write)

    def drop(self, item: InboxItem) -> None:
        """Give up on a row (it failed too often)."""
        self.db.run(lambda s: s.execute(delete(InboxRow).where(InboxRow.id == item.id)))

    def depth(self) -> int:
        """Rows accepted and not yet handled (health, metrics)."""
        return int(self.db.read(lambda s: s.scalar(select(func.count(InboxRow.id))) or 0))


def _lock_conversation(s: Session, conversation_key: str) -> None:
    """One writer per conversation until commit, so two gateways accepting updates of one chat
    at once (or one accepting while another finishes) never both lease a row of it. SQLite
    writes are serial already (``BEGIN IMMEDIATE``); PostgreSQL takes a transaction lock."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": conversation_key})


STALE = "?"
"""``claimed_by`` prefix of a row whose lease ran out: its holder is in its grace period."""


def _free(now: datetime) -> ColumnElement[bool]:
    """Never leased, or the holder's lease and then its grace period ran out."""
    return or_(
        InboxRow.claimed_until.is_(None),
        and_(
            InboxRow.claimed_until < now,
            or_(InboxRow.claimed_by.is_(None), InboxRow.claimed_by.like(f"{STALE}%")),
        ),
    )


def _oldest_of_its_conversation() -> ColumnElement[bool]:
    older = aliased(InboxRow)
    return ~exists().where(
        and_(older.conversation_key == InboxRow.conversation_key, older.id < InboxRow.id)
    )


def _lease(s: Session, row_id: int, owner: str, now: datetime, until: datetime) -> InboxItem | None:
    """Lease row ``row_id`` if it is free and the oldest of its conversation (one conditional
    ``UPDATE``, so two gateways never both get it)."""
    result = s.execute(
        update(InboxRow)
        .where(InboxRow.id == row_id, _free(now), _oldest_of_its_conversation())
        .values(claimed_by=owner, claimed_until=until, attempts=InboxRow.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    row = s.execute(
        select(
            InboxRow.channel, InboxRow.conversation_key, InboxRow.payload, InboxRow.attempts
        ).where(InboxRow.id == row_id)
    ).one()
    return InboxItem(row_id, row.channel, row.conversation_key, dict(row.payload), row.attempts)
