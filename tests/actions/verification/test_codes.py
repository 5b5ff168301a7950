"""One-time codes: mailed to the address on file, stored hashed, valid 10 minutes and once,
5 wrong tries per chat per hour; then the chat is linked to the customer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from actions.verification import CodeOutcome, LockedOut, Verification
from actions.verification.codes import code_matches, email_matches, hash_code, new_code, read_code
from actions.verification.schema import VerificationBase
from cx_telemetry import TelemetryStore

from .conftest import ANA, BEN, T0, Clock, mailed, new_chat


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("123456", "123456"),
        ("123 456", "123456"),
        ("my code is 004-217.", "004217"),
        ("12345", None),
        ("1234567", None),
        ("111111 or 222222?", None),
    ],
)
def test_codes_are_read_from_what_customers_type(typed: str, code: str | None) -> None:
    assert read_code(typed) == code


def test_codes_are_random_six_digits_and_their_hashes_are_salted() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) > 190 and all(len(c) == 6 and c.isdigit() for c in codes)
    first, second = hash_code("123456", "00" * 16), hash_code("123456", "11" * 16)
    assert first != second and "123456" not in first
    assert code_matches("123456", "00" * 16, first) and not code_matches("123457", "00" * 16, first)
    assert email_matches(" ANA@example.com", "ana@example.com")
    assert not email_matches("ana@example.com", None)


def test_a_code_goes_to_the_address_on_file_and_verifies_the_chat(
    verification: Verification, telemetry: TelemetryStore, maildir: Path
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    sent = verification.request_code(chat, "Ana.Lopez@example.com")
    assert sent.expires_at == T0 + timedelta(minutes=10)
    [(to, code)] = mailed(maildir)
    assert to == ANA and len(code) == 6
    assert verification.linked_customer(chat) is None
    check = verification.check_code(chat, f"it's {code[:3]} {code[3:]}")
    assert check.outcome is CodeOutcome.VERIFIED
    assert check.customer is not None and check.customer.first_name == "Ana"
    assert check.linked_until == T0 + timedelta(days=30)
    assert verification.linked_customer(chat) == check.customer
    assert verification.check_code(chat, code).outcome is CodeOutcome.NO_CODE  # works once


def test_codes_are_stored_only_hashed(
    verification: Verification, telemetry: TelemetryStore, maildir: Path
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    verification.request_code(chat, ANA)
    [(_, code)] = mailed(maildir)
    with verification.db.engine.connect() as conn:
        tables = VerificationBase.metadata.sorted_tables
        dump = " ".join(str(v) for t in tables for row in conn.execute(select(t)) for v in row)
    assert code not in dump and ANA not in dump and "telegram:1" not in dump


def test_an_unknown_address_gets_the_same_answer_no_mail_and_costs_a_guess(
    verification: Verification, telemetry: TelemetryStore, maildir: Path
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    known, unknown = (
        verification.request_code(chat, ANA),
        verification.request_code(chat, "stranger@example.com"),
    )
    assert known == unknown
    assert [to for to, _ in mailed(maildir)] == [ANA]
    assert verification.check_order_email(chat, "10001", BEN).attempts_left == 3


def test_a_code_for_an_order_goes_only_to_that_orders_owner(
    verification: Verification, telemetry: TelemetryStore, maildir: Path
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    verification.request_code(chat, BEN, order_id="10001")  # Ben's address, Ana's order
    assert mailed(maildir) == []
    verification.request_code(chat, ANA, order_id="10001")
    assert [to for to, _ in mailed(maildir)] == [ANA]


def test_a_code_expires_after_10_minutes(
    verification: Verification, telemetry: TelemetryStore, maildir: Path, clock: Clock
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    verification.request_code(chat, ANA)
    [(_, code)] = mailed(maildir)
    clock.advance(minutes=10)
    assert verification.check_code(chat, code).outcome is CodeOutcome.EXPIRED
    assert verification.linked_customer(chat) is None
    verification.request_code(chat, ANA)  # a new one works
    assert verification.check_code(chat, mailed(maildir)[-1][1]).outcome is CodeOutcome.VERIFIED


def test_a_new_code_replaces_the_old_one(
    verification: Verification, telemetry: TelemetryStore, maildir: Path
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    verification.request_code(chat, ANA)
    verification.request_code(chat, ANA)
    (_, old), (_, new) = mailed(maildir)
    if old != new:
        assert verification.check_code(chat, old).outcome is CodeOutcome.WRONG
    assert verification.check_code(chat, new).outcome is CodeOutcome.VERIFIED


def test_five_wrong_codes_lock_the_chat_for_the_hour(
    verification: Verification, telemetry: TelemetryStore, maildir: Path, clock: Clock
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    verification.request_code(chat, ANA)
    [(_, code)] = mailed(maildir)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    results = [verification.check_code(chat, typed) for typed in [wrong] * 4 + ["héllo"]]
    assert [r.outcome for r in results] == [CodeOutcome.WRONG] * 5
    assert [r.attempts_left for r in results] == [4, 3, 2, 1, 0]
    assert results[-1].locked_until == T0 + timedelta(hours=1)
    with pytest.raises(LockedOut):  # the right code too, until the hour is over
        verification.check_code(chat, code)
    with pytest.raises(LockedOut):
        verification.request_code(chat, ANA)
    clock.advance(hours=1)
    verification.request_code(chat, ANA)
    assert verification.check_code(chat, mailed(maildir)[-1][1]).outcome is CodeOutcome.VERIFIED


def test_at_most_five_code_mails_per_hour(
    verification: Verification, telemetry: TelemetryStore, maildir: Path, clock: Clock
) -> None:
    chats = [new_chat(telemetry, f"telegram:{n}") for n in range(6)]
    for chat in chats[:5]:  # five chats asking for Ana's code: a mail bomb, stopped at five
        verification.request_code(chat, ANA)
        clock.advance(minutes=1)
    with pytest.raises(LockedOut) as locked:
        verification.request_code(chats[5], ANA)
    assert locked.value.until == T0 + timedelta(hours=1)
    assert len(mailed(maildir)) == 5


def test_typing_a_code_without_asking_for_one_costs_nothing(
    verification: Verification, telemetry: TelemetryStore
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    for _ in range(6):
        assert verification.check_code(chat, "123456").outcome is CodeOutcome.NO_CODE
    assert verification.locked_until(chat) is None
