"""Look-ups by the order's e-mail: a wrong e-mail is indistinguishable from "no such order",
and guessing is limited to 5 per chat and per order per hour."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from actions.demo_shop import DemoShopBackend
from actions.mail import MaildirTransport
from actions.verification import EmailCheck, LockedOut, Verification
from actions.verification.database import VerificationDatabase
from cx_telemetry import TelemetryStore

from .conftest import ANA, BEN, T0, Clock, build, new_chat


def test_the_orders_email_shows_the_order_whatever_its_case(
    verification: Verification, telemetry: TelemetryStore
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    check = verification.check_order_email(chat, "10001", " Ana.Lopez@Example.com")
    assert check.order is not None and check.order.order_id == "10001"
    assert check.locked_until is None


def test_a_wrong_email_and_an_order_that_does_not_exist_look_the_same(
    verification: Verification, telemetry: TelemetryStore
) -> None:
    wrong = verification.check_order_email(new_chat(telemetry, "telegram:1"), "10001", BEN)
    missing = verification.check_order_email(new_chat(telemetry, "telegram:2"), "99999", BEN)
    malformed = verification.check_order_email(new_chat(telemetry, "telegram:3"), "abc", ANA)
    assert wrong == missing == malformed
    assert wrong.order is None and wrong.attempts_left == 4 and wrong.locked_until is None


def test_one_chat_walking_through_order_numbers_learns_nothing_and_is_locked_out(
    verification: Verification, telemetry: TelemetryStore, clock: Clock
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    checks: list[EmailCheck] = []
    lockouts: list[datetime] = []
    for n in range(10001, 10051):
        try:
            checks.append(verification.check_order_email(chat, str(n), "guess@example.com"))
        except LockedOut as locked:
            lockouts.append(locked.until)
        clock.advance(seconds=30)
    assert [(c.order, c.attempts_left) for c in checks] == [(None, n) for n in (4, 3, 2, 1, 0)]
    assert checks[-1].locked_until == T0 + timedelta(hours=1)
    assert lockouts == [T0 + timedelta(hours=1)] * 45  # each refusal says when it lifts
    with pytest.raises(LockedOut):  # even the right e-mail waits
        verification.check_order_email(chat, "10001", ANA)


def test_the_lockout_lifts_after_the_hour(
    verification: Verification, telemetry: TelemetryStore, clock: Clock
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    for _ in range(5):
        verification.check_order_email(chat, "10002", ANA)
        clock.advance(minutes=1)
    assert verification.locked_until(chat) == T0 + timedelta(hours=1)
    clock.now = T0 + timedelta(hours=1)
    assert verification.locked_until(chat) is None
    check = verification.check_order_email(chat, "10002", BEN)
    assert check.order is not None and check.order.order_id == "10002"


def test_five_chats_guessing_one_order_lock_that_order_for_everyone(
    verification: Verification, telemetry: TelemetryStore, clock: Clock
) -> None:
    for n in range(5):
        verification.check_order_email(new_chat(telemetry, f"telegram:{n}"), "10002", ANA)
        clock.advance(minutes=2)
    owner = new_chat(telemetry, "slack:D1:U1")
    with pytest.raises(LockedOut) as locked:
        verification.check_order_email(owner, "10002", BEN)
    assert locked.value.until == T0 + timedelta(hours=1)
    other = verification.check_order_email(owner, "10001", ANA)  # other orders are not locked
    assert other.order is not None


def test_a_right_email_does_not_buy_more_guesses(
    verification: Verification, telemetry: TelemetryStore
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    for _ in range(4):
        verification.check_order_email(chat, "10005", ANA)
    assert verification.check_order_email(chat, "10001", ANA).order is not None
    last = verification.check_order_email(chat, "10005", ANA)
    assert last.attempts_left == 0 and last.locked_until is not None


def test_every_attempt_is_counted_in_telemetry_without_the_email(
    verification: Verification, telemetry: TelemetryStore
) -> None:
    from sqlalchemy import select

    from cx_telemetry.models import Base, VerificationAttempt

    chat = new_chat(telemetry, "telegram:1")
    verification.check_order_email(chat, "10001", BEN)
    verification.check_order_email(chat, "10001", ANA)
    with telemetry.engine.connect() as conn:
        rows = conn.execute(
            select(
                VerificationAttempt.conversation_id,
                VerificationAttempt.kind,
                VerificationAttempt.outcome,
            )
        ).all()
        dump = " ".join(
            str(v) for t in Base.metadata.sorted_tables for r in conn.execute(select(t)) for v in r
        )
    assert sorted(rows) == [
        (chat.conversation_id, "order_email", "ok"),
        (chat.conversation_id, "order_email", "wrong"),
    ]
    assert "example.com" not in dump and "telegram:1" not in dump


def test_two_action_servers_guessing_at_once_still_check_at_most_five(
    vdb: VerificationDatabase,
    shop: DemoShopBackend,
    telemetry: TelemetryStore,
    clock: Clock,
    maildir: Path,
) -> None:
    servers = [
        build(VerificationDatabase(vdb.url), shop, MaildirTransport(maildir), telemetry, clock)
        for _ in range(2)
    ]
    chats = [new_chat(telemetry, f"telegram:{n}") for n in range(12)]

    def guess(n: int) -> str:
        try:
            servers[n % 2].check_order_email(chats[n], "10002", ANA)
        except LockedOut:
            return "locked"
        return "checked"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(guess, range(12)))
    assert outcomes.count("checked") <= 5 and outcomes.count("locked") >= 7
    for server in servers:
        server.db.dispose()
