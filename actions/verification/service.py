"""``Verification``: what the dialogue calls to let a customer prove who they are.

- Look-ups: ``may_view_order`` (a chat verified for the order's owner) or ``check_order_email``
  (the order's e-mail, typed; a wrong e-mail and an unknown order give the same answer).
- Verifying a chat: ``request_code`` mails a 6-digit code to the address on file (the same
  answer whether or not the address is a customer's), ``check_code`` links the chat to the
  customer for ``VERIFIED_LINK_DAYS``; ``unlink`` ("log out") ends it at once.
- Every guess is limited (``limits``) and counted in telemetry, pseudonymously.

All calls are synchronous and may wait on the shop, the database or the mail server: call them
from a worker thread in async code. Failures: ``LockedOut``, ``VerificationUnavailable``,
``actions.backend.BackendError`` and ``actions.mail.MailUnavailable``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from actions.backend import Customer, Order, ShopBackend
from actions.mail import MailTransport, MailUnavailable, transport_from_settings
from actions.settings import Settings
from actions.verification.codes import (
    CODE_TTL,
    code_matches,
    code_message,
    email_matches,
    hash_code,
    new_code,
    new_salt,
    read_code,
)
from actions.verification.database import VerificationDatabase
from actions.verification.errors import LockedOut, VerificationUnavailable
from actions.verification.limits import Limits
from actions.verification.schema import OneTimeCode, VerifiedChat
from actions.verification.values import (
    Chat,
    CodeCheck,
    CodeOutcome,
    CodeRequest,
    EmailCheck,
    VerificationTelemetry,
)
from contract import utcnow
from cx_telemetry import best_effort
from cx_telemetry.db import dialect_insert

log = logging.getLogger(__name__)


class Verification:
    """Construction does no I/O. ``telemetry`` also pseudonymises chats (the same HMAC as the
    telemetry and gateway tables), so erasure finds verification rows by the same key."""

    def __init__(
        self,
        db: VerificationDatabase,
        shop: ShopBackend,
        mail: MailTransport,
        telemetry: VerificationTelemetry,
        link_days: int,
        mail_from: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db, self.shop, self.mail, self.telemetry = db, shop, mail, telemetry
        self.link_for = timedelta(days=link_days)
        self.mail_from = mail_from
        self.clock = clock
        self.limits = Limits(db)

    @classmethod
    def from_settings(
        cls, settings: Settings, shop: ShopBackend, telemetry: VerificationTelemetry
    ) -> Verification:
        """Verification on ``VERIFICATION_DB_URL``, mailing through ``SMTP_URL`` or the maildir."""
        return cls(
            VerificationDatabase(settings.verification_db_url),
            shop,
            transport_from_settings(settings),
            telemetry,
            link_days=settings.verified_link_days,
            mail_from=settings.mail_from,
        )

    # -- who is this chat -------------------------------------------------------------------
    def linked_customer(self, chat: Chat) -> Customer | None:
        """The shop customer this chat is verified for, or None (never verified, expired,
        unlinked)."""
        key, now = self._key(chat), self.clock()
        link = self.db.run(lambda s: s.get(VerifiedChat, key))
        if link is None or link.expires_at <= now:
            return None
        return self.shop.get_customer(link.customer_id)

    def may_view_order(self, chat: Chat, order_id: str) -> Order | None:
        """The order, when this chat is verified for its owner; else None (then ask for the
        order's e-mail). Not a guess, so not limited."""
        customer = self.linked_customer(chat)
        owner = self.shop.customer_of_order(order_id) if customer else None
        if customer is None or owner is None or owner.customer_id != customer.customer_id:
            return None
        return self.shop.get_order(order_id)

    def locked_until(self, chat: Chat, order_id: str | None = None) -> datetime | None:
        """When this chat (and order) may guess again, or None if it may now: ask before
        prompting for an e-mail or a code."""
        return self.limits.locked_until(self._key(chat), order_id, self.clock())

    def unlink(self, chat: Chat) -> bool:
        """Log out ("forget me on this chat"): the link ends at once. True if there was one."""
        key, now = self._key(chat), self.clock()
        removed = self.db.run(
            lambda s: s.execute(delete(VerifiedChat).where(VerifiedChat.chat == key))
        )
        best_effort("unlink_customer", self.telemetry.unlink_customer, chat.sender_id, at=now)
        return bool(getattr(removed, "rowcount", 0))

    # -- proving it -------------------------------------------------------------------------
    def check_order_email(self, chat: Chat, order_id: str, email: str) -> EmailCheck:
        """The order when ``email`` is the one on file. A wrong e-mail and an order that does
        not exist cost the same guess and give the same ``EmailCheck(order=None, ...)``.
        Raises ``LockedOut`` when the chat or the order has no guesses left."""
        key, now = self._key(chat), self.clock()
        owner = self.shop.customer_of_order(order_id)
        owner_id = owner.customer_id if owner else None
        attempt = self._reserve(chat, key, order_id, owner_id, "email", "order_email")
        right = email_matches(email, owner.email if owner else None)
        left, until = self.limits.settle(attempt, wrong=not right, now=now)
        self._count(chat, "order_email", "ok" if right else "wrong")
        return EmailCheck(self.shop.get_order(order_id) if right else None, left, until)

    def request_code(self, chat: Chat, email: str, order_id: str | None = None) -> CodeRequest:
        """Mail a code to ``email`` when it is a customer's address on file (and, with
        ``order_id``, that customer owns the order). Otherwise nothing is sent, the wrong
        e-mail costs a guess, and the answer is the same. Raises ``LockedOut`` (no guesses
        left, or 5 codes mailed to this chat or customer in the hour) and
        ``MailUnavailable`` (the code was not sent; no code is left waiting)."""
        key, now = self._key(chat), self.clock()
        expires = now + CODE_TTL
        customer = self.shop.customer_by_email(email)
        owner = self.shop.customer_of_order(order_id) if order_id else None
        owner_id = owner.customer_id if owner else None
        if customer is None or (order_id and owner_id != customer.customer_id):
            attempt = self._reserve(chat, key, order_id, owner_id, "email", "code_request")
            self.limits.settle(attempt, wrong=True, now=now)
            self._count(chat, "code_request", "wrong")
            return CodeRequest(expires)
        until = self.limits.locked_until(key, order_id, now) or self.limits.codes_locked_until(
            key, customer.customer_id, now
        )
        if until is not None:
            self._count(chat, "code_request", "locked")
            raise LockedOut(until)
        code, salt = new_code(), new_salt()
        row = OneTimeCode(
            id=uuid.uuid4().hex, chat=key, customer_id=customer.customer_id, order_id=order_id,
            salt=salt, code_hash=hash_code(code, salt), created_at=now, expires_at=expires,
        )  # fmt: skip
        self.db.run(lambda s: s.add(row))
        try:
            self.mail.send(code_message(customer, code, expires, self.mail_from))
        except MailUnavailable:
            log.exception("verification code for chat %s not sent", key[:12])
            self.db.run(lambda s: s.execute(delete(OneTimeCode).where(OneTimeCode.id == row.id)))
            self._count(chat, "code_request", "mail_failed")
            raise
        self.db.run(lambda s: _spend_older(s, key, row.id, now))
        self._count(chat, "code_request", "ok")
        return CodeRequest(expires)

    def check_code(self, chat: Chat, typed: str) -> CodeCheck:
        """Check what the customer typed against the chat's newest code. Right: the chat is
        linked to the customer (``VERIFIED``). Anything else that is not a right code costs
        a guess (``WRONG``); ``EXPIRED`` and ``NO_CODE`` do not. Raises ``LockedOut``."""
        key, now = self._key(chat), self.clock()
        pending = self.db.run(lambda s: _newest_code(s, key))
        if pending is None or pending.expires_at <= now:
            outcome = CodeOutcome.NO_CODE if pending is None else CodeOutcome.EXPIRED
            if until := self.limits.locked_until(key, None, now):
                self._count(chat, "code", "locked")
                raise LockedOut(until)
            self._count(chat, "code", outcome.value)
            return CodeCheck(outcome)
        attempt = self._reserve(chat, key, pending.order_id, pending.customer_id, "code", "code")
        right = code_matches(read_code(typed) or typed.strip(), pending.salt, pending.code_hash)
        left, until = self.limits.settle(attempt, wrong=not right, now=now)
        if not right:
            self._count(chat, "code", "wrong")
            return CodeCheck(CodeOutcome.WRONG, attempts_left=left, locked_until=until)
        customer = self.shop.get_customer(pending.customer_id)
        if customer is None or not self.db.run(lambda s: _spend(s, pending.id, now)):
            self._count(chat, "code", "no_code")  # used meanwhile, or the customer is gone
            return CodeCheck(CodeOutcome.NO_CODE)
        linked_until = now + self.link_for
        self.db.run(lambda s: _link(s, key, customer.customer_id, now, linked_until))
        best_effort(
            "link_customer", self.telemetry.link_customer, chat.conversation_id,
            chat.sender_id, customer.customer_id, until=linked_until, at=now,
        )  # fmt: skip
        self._count(chat, "code", "ok")
        return CodeCheck(CodeOutcome.VERIFIED, customer=customer, linked_until=linked_until)

    # -- plumbing ---------------------------------------------------------------------------
    def _key(self, chat: Chat) -> str:
        try:
            return self.telemetry.pseudonym(chat.sender_id)
        except OSError as err:  # the pseudonym key file cannot be read or created
            raise VerificationUnavailable(f"cannot pseudonymise the chat: {err}") from err

    def _reserve(
        self,
        chat: Chat,
        key: str,
        order_id: str | None,
        customer_id: str | None,
        kind: str,
        counted_as: str,
    ) -> int:
        try:
            return self.limits.reserve(key, order_id, customer_id, kind, self.clock())
        except LockedOut:
            self._count(chat, counted_as, "locked")
            raise

    def _count(self, chat: Chat, kind: str, outcome: str) -> None:
        if chat.conversation_id is not None:
            best_effort(
                "verification_attempt", self.telemetry.verification_attempt,
                chat.conversation_id, kind, outcome, at=self.clock(),
            )  # fmt: skip


def _newest_code(s: Session, chat: str) -> OneTimeCode | None:
    return s.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.chat == chat, OneTimeCode.spent_at.is_(None))
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
    )


def _spend(s: Session, code_id: str, now: datetime) -> bool:
    """Use a code once, across action servers: exactly one caller wins."""
    result = s.execute(
        update(OneTimeCode)
        .where(OneTimeCode.id == code_id, OneTimeCode.spent_at.is_(None))
        .values(spent_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def _spend_older(s: Session, chat: str, newest: str, now: datetime) -> None:
    s.execute(
        update(OneTimeCode)
        .where(OneTimeCode.chat == chat, OneTimeCode.id != newest, OneTimeCode.spent_at.is_(None))
        .values(spent_at=now)
    )


def _link(s: Session, chat: str, customer_id: str, now: datetime, until: datetime) -> None:
    values = {"chat": chat, "customer_id": customer_id, "linked_at": now, "expires_at": until}
    insert = dialect_insert(VerifiedChat.__table__, s.get_bind().dialect.name)  # type: ignore[arg-type]
    s.execute(insert.values(**values).on_conflict_do_update(index_elements=["chat"], set_=values))
