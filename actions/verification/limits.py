"""At most 5 wrong e-mails or codes per chat per hour and per order per hour.

Every guess first *reserves* a failure (committed), then counts: concurrent guesses from other
action servers see each other's reservations, so no more than 5 are ever checked in an hour,
however many arrive at once. A right answer removes its reservation; a wrong one keeps it.
A success never clears earlier failures (else one known order would reset the budget).
The window slides: a lockout lifts when the oldest counted failure is an hour old.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from actions.verification.database import VerificationDatabase
from actions.verification.errors import LockedOut
from actions.verification.schema import Failure, OneTimeCode
from actions.verification.values import MAX_GUESSES

MAX_CODES = 5  # codes mailed per chat, and per customer, per hour
WINDOW = timedelta(hours=1)


def lifts_at(times: Sequence[datetime], limit: int) -> datetime | None:
    """When a sliding one-hour window holding ``times`` drops below ``limit``; None if it is
    below already."""
    if len(times) < limit:
        return None
    return sorted(times)[len(times) - limit] + WINDOW


class Limits:
    def __init__(self, db: VerificationDatabase) -> None:
        self.db = db

    def locked_until(self, chat: str, order_id: str | None, now: datetime) -> datetime | None:
        """When the chat (and the order, if given) may try again; None if it may now."""

        def read(s: Session) -> datetime | None:
            return _lock(s, chat, order_id, now, exclude=None)

        return self.db.run(read)

    def reserve(
        self, chat: str, order_id: str | None, customer_id: str | None, kind: str, now: datetime
    ) -> int:
        """Reserve one guess; raises ``LockedOut`` (and keeps nothing) when the chat or the
        order has had its 5 in the last hour."""
        row = Failure(
            chat=chat,
            order_id=order_id,
            customer_id=customer_id,
            kind=kind,
            status="pending",
            at=now,
        )

        def add(s: Session) -> int:
            s.add(row)
            s.flush()
            return row.id

        attempt = self.db.run(add)

        def check(s: Session) -> datetime | None:
            until = _lock(s, chat, order_id, now, exclude=attempt)
            if until is not None:
                s.execute(delete(Failure).where(Failure.id == attempt))
            return until

        until = self.db.run(check)
        if until is not None:
            raise LockedOut(until)
        return attempt

    def settle(self, attempt: int, wrong: bool, now: datetime) -> tuple[int, datetime | None]:
        """Record the reserved guess as wrong, or drop it when right. Returns the guesses left
        in the window (the fewer of the chat's and the order's) and, when none are, the time
        the next one is allowed."""

        def write(s: Session) -> tuple[int, datetime | None]:
            row = s.get(Failure, attempt)
            if row is None:
                return MAX_GUESSES, None
            if wrong:
                s.execute(update(Failure).where(Failure.id == attempt).values(status="wrong"))
            else:
                s.execute(delete(Failure).where(Failure.id == attempt))
            times = _times(s, Failure.chat == row.chat, now, exclude=None)
            if row.order_id is not None:
                by_order = _times(s, Failure.order_id == row.order_id, now, exclude=None)
                times = times if len(times) >= len(by_order) else by_order
            return max(0, MAX_GUESSES - len(times)), lifts_at(times, MAX_GUESSES)

        return self.db.run(write)

    def codes_locked_until(self, chat: str, customer_id: str, now: datetime) -> datetime | None:
        """When another code may be mailed (5 per chat and 5 per customer an hour); None if
        now."""

        def read(s: Session) -> datetime | None:
            lifts = []
            for where in (OneTimeCode.chat == chat, OneTimeCode.customer_id == customer_id):
                sent = s.scalars(
                    select(OneTimeCode.created_at).where(
                        where, OneTimeCode.created_at > now - WINDOW
                    )
                ).all()
                lifts.append(lifts_at(sent, MAX_CODES))
            return max((t for t in lifts if t is not None), default=None)

        return self.db.run(read)


def _times(
    s: Session, where: ColumnElement[bool], now: datetime, exclude: int | None
) -> list[datetime]:
    query = select(Failure.at).where(where, Failure.at > now - WINDOW)
    if exclude is not None:
        query = query.where(Failure.id != exclude)
    return list(s.scalars(query))


def _lock(
    s: Session, chat: str, order_id: str | None, now: datetime, exclude: int | None
) -> datetime | None:
    lifts = [lifts_at(_times(s, Failure.chat == chat, now, exclude), MAX_GUESSES)]
    if order_id is not None:
        lifts.append(lifts_at(_times(s, Failure.order_id == order_id, now, exclude), MAX_GUESSES))
    return max((t for t in lifts if t is not None), default=None)
