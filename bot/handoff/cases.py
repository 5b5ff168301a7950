"""The staff desk's cases in the gateway's database (``handoff_cases``, ``handoff_actions``).

Every state change is a conditional ``UPDATE`` so that, with several gateways, exactly one
wins a claim or a close. Like all gateway state, calls raise ``StateUnavailable`` during an
outage instead of being deferred: a case that exists in one process only could not be served
by another gateway.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from bot.handoff.case_rows import add_to_log, case_from_row
from bot.handoff.customer import Identity
from bot.handoff.values import Case, Transition
from bot.state.database import GatewayDatabase
from bot.state.schema import HandoffAction, HandoffCase
from contract import utcnow
from cx_telemetry.db import dialect_insert

# A case is open until it is closed. While it is ``waiting`` or ``claimed`` the customer talks
# to staff; ``follow_up``: the customer left a message and went back to the assistant, and the
# case waits for staff to follow up (by e-mail, or in the chat once someone claims it).
CUSTOMER_WITH_STAFF = ("waiting", "claimed")
OPEN_STATUSES = (*CUSTOMER_WITH_STAFF, "follow_up")
CLOSED_STATUSES = ("resolved", "returned", "cancelled")


class CaseRepository:
    """Cases in the gateway's database. Construction does no I/O."""

    def __init__(self, db: GatewayDatabase) -> None:
        self.db = db

    def open_case(
        self,
        handoff_id: str,
        *,
        sender_id: str,
        channel: str,
        address: dict[str, Any],
        conversation_id: str | None = None,
        customer: str | None = None,
        customer_name: str | None = None,
        reason: str | None = None,
        intents: Sequence[str] = (),
        transcript: Sequence[str] = (),
        identity: Identity = None,
        at: datetime | None = None,
    ) -> Transition:
        """Create the case (``won``) or return the customer's open one: escalating again while a
        case is open reuses it. Safe against two gateways creating it at once."""
        at = at or utcnow()

        def write(s: Session) -> Transition:
            existing = s.scalar(
                select(HandoffCase).where(
                    HandoffCase.sender_id == sender_id, HandoffCase.closed_at.is_(None)
                )
            ) or s.get(HandoffCase, handoff_id)
            if existing is not None:
                return Transition(case_from_row(existing), False)
            table: Table = HandoffCase.__table__  # type: ignore[assignment]
            ins = dialect_insert(table, s.get_bind().dialect.name)
            result: Any = s.execute(
                ins.values(
                    handoff_id=handoff_id,
                    conversation_id=conversation_id,
                    sender_id=sender_id,
                    channel=channel,
                    address=address,
                    customer=customer,
                    customer_name=customer_name,
                    reason=reason,
                    intents=list(intents),
                    transcript=list(transcript),
                    verified_customer=None if identity is None else identity.to_payload(),
                    status="waiting",
                    requested_at=at,
                    follow_up_offered=False,
                )
                .on_conflict_do_nothing()
                .returning(HandoffCase.handoff_id)
            )
            won = result.first() is not None
            if won:
                add_to_log(s, handoff_id, "requested", None, None, at)
            row = s.get(HandoffCase, handoff_id) or s.scalar(
                select(HandoffCase).where(
                    HandoffCase.sender_id == sender_id, HandoffCase.closed_at.is_(None)
                )
            )
            return Transition(case_from_row(row), won)

        return self.db.run(write)

    def set_card(self, handoff_id: str, staff_channel: str, card_ts: str) -> None:
        """Remember where the staff card (and so the thread) of the case lives."""

        def write(s: Session) -> None:
            s.execute(
                update(HandoffCase)
                .where(HandoffCase.handoff_id == handoff_id)
                .values(staff_channel=staff_channel, card_ts=card_ts)
            )

        self.db.run(write)

    def set_contact_email(self, handoff_id: str, email: str) -> Case | None:
        """Keep the e-mail address the customer left on an open case (the latest one wins);
        the case afterwards, or None when it is closed. Not a staff action: not audit-logged."""
        kept = self._transition(
            handoff_id, [HandoffCase.closed_at.is_(None)], {"contact_email": email}, None
        )
        return kept.case if kept.won else None

    def append_line(self, handoff_id: str, line: str) -> None:
        """Add a line to the case's transcript: the thread of a desk without threads of its own
        (the terminal desk). Not audit-logged."""

        def write(s: Session) -> None:
            row = s.get(HandoffCase, handoff_id)
            if row is not None:
                row.transcript = [*(row.transcript or ()), line]

        self.db.run(write)

    def case(self, handoff_id: str) -> Case | None:
        return self.db.read(lambda s: case_from_row(s.get(HandoffCase, handoff_id)))

    def open_case_for(self, sender_id: str) -> Case | None:
        """The customer's case while they talk to staff (by engine sender id), or None. Runs for
        every customer message, so the usual answer (none) costs one Core query on a read-only
        connection."""
        open_case = (
            HandoffCase.sender_id == sender_id,
            HandoffCase.closed_at.is_(None),
            HandoffCase.status.in_(CUSTOMER_WITH_STAFF),
        )
        found = self.db.read(lambda s: s.scalar(select(HandoffCase.handoff_id).where(*open_case)))
        return None if found is None else self.case(str(found))

    def open_cases(self) -> list[Case]:
        """Every open case, oldest request first (the terminal desk's list)."""
        rows = self.db.read(
            lambda s: [
                case_from_row(row)
                for row in s.scalars(
                    select(HandoffCase)
                    .where(HandoffCase.closed_at.is_(None))
                    .order_by(HandoffCase.requested_at)
                )
            ]
        )
        return [case for case in rows if case is not None]

    def case_for_thread(self, staff_channel: str, thread_ts: str) -> Case | None:
        """The case whose card starts the thread ``thread_ts`` (the newest, should a desk ever
        number two cards alike)."""
        return self.db.read(
            lambda s: case_from_row(
                s.scalars(
                    select(HandoffCase)
                    .where(
                        HandoffCase.staff_channel == staff_channel,
                        HandoffCase.card_ts == thread_ts,
                    )
                    .order_by(HandoffCase.requested_at.desc())
                ).first()
            ),
        )

    def claim(
        self, handoff_id: str, slack_user: str, agent: str, at: datetime | None = None
    ) -> Transition:
        """``waiting`` (or ``follow_up``) -> ``claimed`` by ``slack_user``; ``won`` only for the
        one who claimed."""
        at = at or utcnow()
        return self._transition(
            handoff_id,
            [HandoffCase.status.in_(("waiting", "follow_up"))],
            {"status": "claimed", "claimed_at": at, "claimed_by": slack_user, "agent": agent},
            ("claim", slack_user, agent, at),
        )

    def close(
        self,
        handoff_id: str,
        status: str,
        slack_user: str | None = None,
        agent: str | None = None,
        at: datetime | None = None,
    ) -> Transition:
        """Close an open case as ``resolved`` / ``returned`` / ``cancelled``; only one caller
        wins. ``slack_user`` is None when the customer cancelled."""
        if status not in CLOSED_STATUSES:
            raise ValueError(f"status must be one of {CLOSED_STATUSES}, not {status!r}")
        at = at or utcnow()
        action = {"resolved": "resolve", "returned": "return", "cancelled": "cancel"}[status]
        return self._transition(
            handoff_id,
            [HandoffCase.status.in_(OPEN_STATUSES)],
            {"status": status, "closed_at": at, "closed_by": slack_user},
            (action, slack_user, agent, at),
        )

    def mark_no_survey(
        self, handoff_id: str, slack_user: str, agent: str, at: datetime | None = None
    ) -> Transition:
        """Staff's "No survey" on an open case; ``won`` only the first time."""
        return self._transition(
            handoff_id,
            [HandoffCase.closed_at.is_(None), HandoffCase.no_survey.is_(False)],
            {"no_survey": True},
            ("no_survey", slack_user, agent, at or utcnow()),
        )

    def offer_follow_up(self, handoff_id: str, at: datetime | None = None) -> Transition:
        """Mark a still-unclaimed case as timed out (customer offered a follow-up by e-mail)."""
        return self._transition(
            handoff_id,
            [HandoffCase.status == "waiting", HandoffCase.follow_up_offered.is_(False)],
            {"follow_up_offered": True},
            ("timeout", None, None, at or utcnow()),
        )

    def keep_for_follow_up(self, handoff_id: str, at: datetime | None = None) -> Transition:
        """The customer left a message after the follow-up offer and went back to the
        assistant: ``waiting`` -> ``follow_up``, the case stays open for staff."""
        return self._transition(
            handoff_id,
            [HandoffCase.status == "waiting", HandoffCase.follow_up_offered.is_(True)],
            {"status": "follow_up"},
            ("follow_up", None, None, at or utcnow()),
        )

    def wait_again(self, handoff_id: str, at: datetime | None = None) -> Transition:
        """The customer of a ``follow_up`` case asks for a person again: back to ``waiting``."""
        return self._transition(
            handoff_id,
            [HandoffCase.status == "follow_up"],
            {"status": "waiting"},
            ("requested_again", None, None, at or utcnow()),
        )

    def _transition(
        self,
        handoff_id: str,
        only_if: Sequence[Any],
        values: dict[str, Any],
        logged: tuple[str, str | None, str | None, datetime] | None,
    ) -> Transition:
        """One conditional UPDATE of a case: with two gateways racing, exactly one caller sees
        ``won`` and only that caller's action (``logged``, if any) goes into the audit log."""

        def write(s: Session) -> Transition:
            result: Any = s.execute(
                update(HandoffCase)
                .where(HandoffCase.handoff_id == handoff_id, *only_if)
                .values(**values)
            )
            won = bool(result.rowcount)
            if won and logged is not None:
                add_to_log(s, handoff_id, *logged)
            return Transition(case_from_row(s.get(HandoffCase, handoff_id)), won)

        return self.db.run(write)

    def log_action(
        self,
        handoff_id: str,
        action: str,
        slack_user: str | None,
        agent: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Record a staff action that does not change the case (a refused claim, a
        confirmation asked, a dismissed confirmation)."""
        when = at or utcnow()
        self.db.run(lambda s: add_to_log(s, handoff_id, action, slack_user, agent, when))

    def actions(self, handoff_id: str) -> list[tuple[str, str | None, str | None]]:
        """The audit trail of a case, oldest first: (action, Slack user, agent)."""

        def read(s: Session) -> list[tuple[str, str | None, str | None]]:
            rows = s.execute(
                select(HandoffAction.action, HandoffAction.slack_user, HandoffAction.agent)
                .where(HandoffAction.handoff_id == handoff_id)
                .order_by(HandoffAction.id)
            ).all()
            return [(r.action, r.slack_user, r.agent) for r in rows]

        return self.db.read(read)
