"""A verified chat stays linked to its shop customer for VERIFIED_LINK_DAYS, sees only that
customer's orders, and "log out" ends it at once; telemetry sees one customer on every channel."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from actions.verification import Chat, CodeOutcome, Verification
from cx_telemetry import TelemetryStore
from cx_telemetry.export import export
from cx_telemetry.models import Conversation, VerificationAttempt

from .conftest import ANA, T0, Clock, mailed, new_chat


def verify(verification: Verification, chat: Chat, email: str, maildir: Path) -> None:
    verification.request_code(chat, email)
    assert verification.check_code(chat, mailed(maildir)[-1][1]).outcome is CodeOutcome.VERIFIED


def test_a_verified_chat_sees_its_customers_orders_and_only_those(
    verification: Verification, telemetry: TelemetryStore, maildir: Path
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    assert verification.may_view_order(chat, "10001") is None
    verify(verification, chat, ANA, maildir)
    order = verification.may_view_order(chat, "10001")
    assert order is not None and order.order_id == "10001"
    assert verification.may_view_order(chat, "10002") is None  # Ben's
    assert verification.may_view_order(chat, "99999") is None


def test_the_link_lasts_its_days_then_ends(
    verification: Verification, telemetry: TelemetryStore, maildir: Path, clock: Clock
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    verify(verification, chat, ANA, maildir)
    clock.advance(days=29, hours=23)
    assert verification.linked_customer(chat) is not None
    clock.advance(hours=1)
    assert verification.linked_customer(chat) is None


def test_log_out_unlinks_at_once(
    verification: Verification, telemetry: TelemetryStore, maildir: Path, clock: Clock
) -> None:
    chat = new_chat(telemetry, "telegram:1")
    verify(verification, chat, ANA, maildir)
    assert verification.unlink(chat) is True
    assert verification.linked_customer(chat) is None
    assert verification.may_view_order(chat, "10001") is None
    assert verification.unlink(chat) is False
    telemetry.close_conversation(chat.conversation_id or "", at=T0)
    clock.advance(days=1)
    later = telemetry.open_conversation(channel="telegram", customer_id="telegram:1", at=clock())
    with telemetry.engine.connect() as conn:
        key = conn.scalar(select(Conversation.customer_key).where(Conversation.id == later))
    assert key == telemetry.pseudonym("telegram:1")  # no longer the customer's


def test_one_customer_verified_on_telegram_and_slack_is_one_customer_key(
    verification: Verification, telemetry: TelemetryStore, maildir: Path
) -> None:
    on_telegram = new_chat(telemetry, "telegram:42")
    on_slack = new_chat(telemetry, "slack:D1:U7")
    someone_else = new_chat(telemetry, "telegram:43")
    verify(verification, on_telegram, ANA, maildir)
    verify(verification, on_slack, " ANA.LOPEZ@example.com", maildir)
    verify(verification, someone_else, "ben.okafor@example.com", maildir)
    with telemetry.engine.connect() as conn:
        keys = dict(conn.execute(select(Conversation.channel, Conversation.customer_key)).all())
        ids = dict(conn.execute(select(Conversation.id, Conversation.customer_key)).all())
        attempts = conn.execute(
            select(VerificationAttempt.kind, VerificationAttempt.outcome).where(
                VerificationAttempt.conversation_id == on_slack.conversation_id
            )
        ).all()
    assert ids[on_telegram.conversation_id] == ids[on_slack.conversation_id]
    assert ids[on_telegram.conversation_id] == telemetry.customer_key("C1001")
    assert ids[someone_else.conversation_id] != ids[on_telegram.conversation_id]
    assert keys["slack"] == telemetry.customer_key("C1001")
    assert sorted(attempts) == [("code", "ok"), ("code_request", "ok")]
    out = maildir.parent / "conversations.jsonl"  # what a CX lead exports
    export(telemetry.engine, "conversations", "jsonl", out)
    rows = {r["conversation_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    exported = {cid: rows[cid]["customer_key"] for cid in ids}
    assert exported[on_telegram.conversation_id] == exported[on_slack.conversation_id]
    assert exported[someone_else.conversation_id] != exported[on_slack.conversation_id]
    assert (
        rows[on_telegram.conversation_id]["customer"] != rows[on_slack.conversation_id]["customer"]
    )
    assert "C1001" not in out.read_text() and ANA not in out.read_text()


def test_a_customer_who_comes_back_on_another_channel_within_7_days_recontacts(
    verification: Verification, telemetry: TelemetryStore, maildir: Path, clock: Clock
) -> None:
    first = new_chat(telemetry, "telegram:42")
    verify(verification, first, ANA, maildir)
    assert first.conversation_id
    telemetry.note_intent(first.conversation_id, "track_order", at=clock())
    telemetry.note_order(first.conversation_id, "10001", at=clock())
    telemetry.close_conversation(first.conversation_id, at=clock())
    clock.advance(days=6)
    second = new_chat(telemetry, "slack:D1:U7", at=clock())
    verify(verification, second, ANA, maildir)
    assert second.conversation_id
    telemetry.note_intent(second.conversation_id, "cancel_order", at=clock())  # another intent,
    telemetry.note_order(second.conversation_id, "10001", at=clock())  # the same order
    with telemetry.engine.connect() as conn:
        row = conn.execute(
            select(
                Conversation.outcome, Conversation.recontacted, Conversation.recontacted_at
            ).where(Conversation.id == first.conversation_id)
        ).one()
    assert tuple(row) == ("contained", True, T0 + timedelta(days=6))
