"""What verification takes and gives: the chat, the results of a check, and the part of the
telemetry store it uses (a typed port, ``cx_telemetry.TelemetryStore`` fits it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from actions.backend import Customer, Order

MAX_GUESSES = 5


@dataclass(frozen=True)
class Chat:
    """One customer's chat: the engine's sender id (``telegram:42``, ``slack:D1:U2``) and the
    telemetry conversation it is in (None when telemetry could not give one)."""

    sender_id: str
    conversation_id: str | None = None


@dataclass(frozen=True)
class EmailCheck:
    """``order`` when the e-mail was the order's; None for a wrong e-mail and for an order
    that does not exist alike. ``attempts_left`` guesses remain in the hour; when this guess
    used the last one, ``locked_until`` says when the next is allowed."""

    order: Order | None
    attempts_left: int
    locked_until: datetime | None


@dataclass(frozen=True)
class CodeRequest:
    """The answer to a code request, the same whether a code was mailed or not."""

    expires_at: datetime


class CodeOutcome(str, Enum):
    VERIFIED = "verified"  # the chat is now linked to the customer
    WRONG = "wrong"  # not the code; costs a guess
    EXPIRED = "expired"  # the newest code is older than 10 minutes: ask for a new one
    NO_CODE = "no_code"  # no code was requested on this chat (or it was used already)


@dataclass(frozen=True)
class CodeCheck:
    outcome: CodeOutcome
    customer: Customer | None = None  # VERIFIED
    linked_until: datetime | None = None  # VERIFIED
    attempts_left: int = MAX_GUESSES  # WRONG
    locked_until: datetime | None = None  # WRONG, when that was the last guess


class VerificationTelemetry(Protocol):
    """What verification needs from ``cx_telemetry.TelemetryStore`` (docs/CONTRACT.md)."""

    def pseudonym(self, customer_id: str) -> str: ...

    def verification_attempt(
        self, cid: str, kind: str, outcome: str, at: datetime | None = None
    ) -> None: ...

    def link_customer(
        self,
        cid: str | None,
        customer_id: str,
        shop_customer_id: str,
        until: datetime,
        at: datetime | None = None,
    ) -> None: ...

    def unlink_customer(self, customer_id: str, at: datetime | None = None) -> None: ...
