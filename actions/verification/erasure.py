"""Verification's part of ``cx-telemetry forget`` and ``purge`` (registered as the entry point
``cx_telemetry.erasure: verification``): verified chats, one-time codes and failed guesses.

A subject's chats are found by their pseudonyms, its shop customers by id: ``forget --customer
shop:C1001`` removes the customer's links on every chat, the codes mailed to them, and every
guess on their chats or their orders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from actions.settings import Settings
from actions.verification.database import VerificationDatabase
from actions.verification.errors import VerificationUnavailable
from actions.verification.schema import Failure, OneTimeCode, VerifiedChat
from cx_telemetry import StoreUnavailable
from cx_telemetry.erasure import ErasureSubject, ErasureTarget, chunks


def erasure_target(env: Mapping[str, str]) -> ErasureTarget:
    """The entry point: the verification database named by the environment."""
    return VerificationErasure(VerificationDatabase(Settings.from_env(env).verification_db_url))


class VerificationErasure:
    def __init__(self, db: VerificationDatabase) -> None:
        self.db = db

    def forget(self, subject: ErasureSubject) -> dict[str, int]:
        return self._run(lambda s: _forget(s, subject))

    def purge(self, cutoff: datetime) -> dict[str, int]:
        return self._run(lambda s: _purge(s, cutoff))

    def _run(self, fn: Any) -> dict[str, int]:
        try:
            return dict(self.db.run(fn))
        except VerificationUnavailable as err:  # the CLI reports telemetry's errors in one line
            raise StoreUnavailable(str(err)) from err


def _forget(s: Session, subject: ErasureSubject) -> dict[str, int]:
    customers = list(subject.shop_customer_ids)
    linked = s.scalars(select(VerifiedChat.chat).where(VerifiedChat.customer_id.in_(customers)))
    chats = sorted(set(subject.pseudonyms) | set(linked))
    counts = {"verified_chats": 0, "one_time_codes": 0, "verification_failures": 0}
    tables: list[tuple[str, Any]] = [
        ("verified_chats", VerifiedChat),
        ("one_time_codes", OneTimeCode),
        ("verification_failures", Failure),
    ]
    for name, model in tables:
        statements = [delete(model).where(model.chat.in_(chunk)) for chunk in chunks(chats)]
        if customers:
            statements.append(delete(model).where(model.customer_id.in_(customers)))
        for stmt in statements:
            result: Any = s.execute(stmt)
            counts[name] += int(result.rowcount or 0)
    return counts


def _purge(s: Session, cutoff: datetime) -> dict[str, int]:
    steps = {
        "verified_chats": delete(VerifiedChat).where(VerifiedChat.expires_at < cutoff),
        "one_time_codes": delete(OneTimeCode).where(OneTimeCode.created_at < cutoff),
        "verification_failures": delete(Failure).where(Failure.at < cutoff),
    }
    return {name: int(getattr(s.execute(stmt), "rowcount", 0) or 0) for name, stmt in steps.items()}
