"""``cx-telemetry forget --customer shop:<id>`` leaves nothing about the customer in any table
of any package (checked table by table); ``--customer telegram:...`` still forgets one chat."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from actions.verification import Chat, CodeOutcome, Verification
from actions.verification.schema import VerificationBase
from bot.state.database import GatewayDatabase
from bot.state.schema import GatewayBase
from bot.state.timer_store import TimerStore
from cx_telemetry import Settings, TelemetryStore
from cx_telemetry.cli import main
from cx_telemetry.models import Base
from tests.bot.state.tracker_db import senders, tracker_file

from .conftest import ANA, BEN, T0, mailed, new_chat

TABLES = [
    *Base.metadata.sorted_tables,
    *GatewayBase.metadata.sorted_tables,
    *VerificationBase.metadata.sorted_tables,
]


def verify(verification: Verification, chat: Chat, email: str, maildir: Path) -> None:
    verification.request_code(chat, email)
    assert verification.check_code(chat, mailed(maildir)[-1][1]).outcome is CodeOutcome.VERIFIED


def rows_by_table(store: TelemetryStore) -> dict[str, list[str]]:
    """Every row of every package's tables, as text, by table."""
    with store.engine.connect() as conn:
        return {
            t.name: [" ".join(map(str, row)) for row in conn.execute(select(t))] for t in TABLES
        }


def build_world(
    verification: Verification, telemetry: TelemetryStore, maildir: Path, db_url: str
) -> dict[str, Any]:
    """Ana (C1001) on Telegram (an earlier unverified conversation too) and on Slack, a
    stranger guessing her order, and Ben (C1002), who must be left alone."""
    earlier = new_chat(telemetry, "telegram:42", at=T0 - timedelta(days=2))
    assert earlier.conversation_id
    telemetry.note_intent(earlier.conversation_id, "delivery_options")
    telemetry.close_conversation(earlier.conversation_id)
    tg = new_chat(telemetry, "telegram:42")
    verify(verification, tg, ANA, maildir)
    slack = new_chat(telemetry, "slack:D1:U7")
    verify(verification, slack, ANA, maildir)
    stranger = new_chat(telemetry, "telegram:666")
    verification.check_order_email(stranger, "10001", "guess@example.com")
    ben = new_chat(telemetry, "telegram:7")
    verify(verification, ben, BEN, maildir)
    assert tg.conversation_id and slack.conversation_id and ben.conversation_id
    for chat in (tg, ben):
        cid = str(chat.conversation_id)
        telemetry.note_intent(cid, "track_order")
        telemetry.survey_asked(cid, metric="csat")
        telemetry.survey_answered(cid, metric="csat", score=2)
        comment = "where is my parcel" if chat is tg else "slow"
        telemetry.survey_comment(cid, metric="csat", comment=comment)
    hid = telemetry.handoff_requested(tg.conversation_id)
    cases = GatewayBase.metadata.tables["handoff_cases"]
    actions = GatewayBase.metadata.tables["handoff_actions"]
    with (
        telemetry.engine.begin() as conn
    ):  # the staff desk's cases: one of them has no conversation
        for handoff_id, sender, cid in [
            (hid, "telegram:42", tg.conversation_id),
            ("h2", "slack:D1:U7", None),
        ]:
            conn.execute(insert(cases).values(
                handoff_id=handoff_id, conversation_id=cid, sender_id=sender,
                channel=sender.split(":")[0], address={"chat": sender}, customer=telemetry.pseudonym(sender),
                customer_name="Ana Lopez", transcript=["Customer: where is my parcel"],
                status="waiting", requested_at=T0,
            ))  # fmt: skip
            conn.execute(insert(actions).values(handoff_id=handoff_id, action="claim", at=T0))
    TimerStore(GatewayDatabase(db_url)).schedule("idle", tg.conversation_id, T0, {})
    TimerStore(GatewayDatabase(db_url)).schedule("idle", ben.conversation_id, T0, {})
    return {"earlier": earlier, "tg": tg, "slack": slack, "ben": ben, "hid": hid}


@pytest.fixture
def cli_env(db_url: str, telemetry: TelemetryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    settings: Settings = telemetry.settings
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", db_url)
    monkeypatch.setenv("CX_PSEUDONYM_KEY", str(settings.pseudonym_key))
    monkeypatch.setenv("CX_TELEMETRY_OUTBOX", str(settings.outbox_dir))
    for name in ("GATEWAY_DB_URL", "VERIFICATION_DB_URL"):
        monkeypatch.delenv(name, raising=False)  # both default to the telemetry database


def test_forget_a_shop_customer_leaves_nothing_in_any_table(
    verification: Verification,
    telemetry: TelemetryStore,
    maildir: Path,
    db_url: str,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = build_world(verification, telemetry, maildir, db_url)
    tg, slack, ben = world["tg"], world["slack"], world["ben"]
    ana = [
        telemetry.pseudonym("telegram:42"), telemetry.pseudonym("slack:D1:U7"),
        telemetry.customer_key("C1001"), "C1001", "Ana Lopez", "where is my parcel",
        world["earlier"].conversation_id, tg.conversation_id, slack.conversation_id, world["hid"],
    ]  # fmt: skip
    before = rows_by_table(telemetry)
    assert all(any(a in row for rows in before.values() for row in rows) for a in ana)

    assert main(["forget", "--customer", "shop:C1001"]) == 0
    assert capsys.readouterr().out.strip() == (
        "removed conversations=3 survey_responses=1 handoffs=1 verification_attempts=4"
        " clarifications=0 transcripts=0 customer_links=2 timers=1 handoff_cases=2 handoff_actions=2 detractor_alerts=0 inbox=0 tracker_events=0 verified_chats=2"
        " one_time_codes=2 verification_failures=1 outbox_events=0"
    )
    after = rows_by_table(telemetry)
    for table, rows in after.items():
        left = [row for row in rows if any(a and a in row for a in ana)]
        assert left == [], f"{table} still has {left}"
    # Ben and the stranger's own conversation are untouched, table by table
    assert len(after["conversations"]) == 2 and len(after["survey_responses"]) == 1
    assert len(after["verified_chats"]) == 1 and len(after["customer_links"]) == 1
    assert len(after["one_time_codes"]) == 1 and len(after["timers"]) == 1
    assert after["handoff_cases"] == [] and after["verification_failures"] == []
    assert any(str(ben.conversation_id) in row for row in after["verification_attempts"])
    assert verification.linked_customer(ben) is not None
    assert verification.linked_customer(tg) is None and verification.linked_customer(slack) is None


def test_forgetting_one_chat_leaves_the_customers_other_chats(
    verification: Verification,
    telemetry: TelemetryStore,
    maildir: Path,
    db_url: str,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = build_world(verification, telemetry, maildir, db_url)
    assert main(["forget", "--customer", "telegram:42"]) == 0
    out = capsys.readouterr().out
    assert "conversations=2 " in out and "verified_chats=1 " in out and "handoff_cases=1 " in out
    assert verification.linked_customer(world["tg"]) is None
    assert verification.linked_customer(world["slack"]) is not None  # still Ana on Slack
    rows = rows_by_table(telemetry)
    assert not any(telemetry.pseudonym("telegram:42") in r for t in rows.values() for r in t)
    assert any(str(world["slack"].conversation_id) in r for r in rows["conversations"])


def test_forget_needs_a_channel_or_shop_prefix(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forget", "--customer", "C1001"]) == 2
    assert "shop:CUSTOMER_ID" in capsys.readouterr().err


def test_forget_a_shop_customer_removes_the_trackers_of_her_chats(
    verification: Verification,
    telemetry: TelemetryStore,
    maildir: Path,
    db_url: str,
    cli_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build_world(verification, telemetry, maildir, db_url)
    url = tracker_file(tmp_path / "trackers.sqlite3", [
        ("telegram:42", T0, "where is my parcel"),
        ("slack:D1:U7", T0, "ana@example.com"),
        ("telegram:7", T0, "Ben here"),
        ("slack:D1:U7", T0, "order 10001"),
    ])  # fmt: skip
    monkeypatch.setenv("TRACKER_STORE_URL", url)
    assert main(["forget", "--customer", "shop:C1001"]) == 0  # her raw ids are never given
    assert " tracker_events=3 " in capsys.readouterr().out
    assert senders(url) == ["telegram:7"]
