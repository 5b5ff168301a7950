"""The action server builds verification from its environment, on first use."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from actions import context
from actions.verification import CodeOutcome
from contract import utcnow
from cx_telemetry import TelemetryStore

from ..conftest import Conversation
from .conftest import ANA, mailed


def test_actions_get_verification_from_the_environment(
    store: TelemetryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_MAILDIR", str(tmp_path / "mail"))
    monkeypatch.setenv("VERIFIED_LINK_DAYS", "7")
    context.reset_caches()
    verification = context.verification()
    verification.db.migrate()  # the same database as telemetry: CX_TELEMETRY_DB_URL
    chat_ = Conversation(store, channel="slack")
    chat = context.chat_of(chat_.tracker("verify me", "greet"))
    assert chat.sender_id == chat_.sender and chat.conversation_id == chat_.cid
    verification.request_code(chat, ANA)
    [(to, code)] = mailed(tmp_path / "mail")
    check = verification.check_code(chat, code)
    assert check.outcome is CodeOutcome.VERIFIED and check.linked_until
    assert timedelta(0) < timedelta(days=7) - (check.linked_until - utcnow()) < timedelta(minutes=1)
    info = store.get_conversation(chat_.cid)
    assert info is not None and info.verified and info.customer_key == store.customer_key("C1001")
    verification.db.dispose()
