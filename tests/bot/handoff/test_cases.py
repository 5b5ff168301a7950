"""Staff-desk cases: one open case per customer, single-winner transitions (on every backend
the suite runs: SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import pytest

from bot.handoff.cases import CaseRepository
from bot.state.database import GatewayDatabase

ADDRESS = {"channel": "telegram", "chat_id": "42", "user_id": "7"}


def _open(desk: CaseRepository, hid: str, sender: str = "telegram:42"):  # type: ignore[no-untyped-def]
    return desk.open_case(hid, sender_id=sender, channel="telegram", address=ADDRESS, reason="complaint",
                          intents=["complaint"], transcript=["Customer: hi"])  # fmt: skip


def test_one_open_case_per_customer(state_db: GatewayDatabase) -> None:
    desk = CaseRepository(state_db)
    first = _open(desk, "a" * 32)
    assert first.won and first.case is not None and first.case.status == "waiting"
    again = _open(desk, "b" * 32)  # escalating again while open: the same case
    assert not again.won and again.case is not None and again.case.handoff_id == "a" * 32
    assert desk.open_case_for("telegram:42").handoff_id == "a" * 32  # type: ignore[union-attr]
    other = _open(desk, "c" * 32, sender="telegram:43")
    assert other.won
    desk.close("a" * 32, "cancelled")
    assert desk.open_case_for("telegram:42") is None
    assert _open(desk, "d" * 32).won  # a new case after the old one closed


def test_transitions_have_one_winner_and_are_audited(state_db: GatewayDatabase) -> None:
    desk = CaseRepository(state_db)
    hid = "e" * 32
    _open(desk, hid)
    desk.set_card(hid, "CSTAFF", "171.0001")
    assert desk.case_for_thread("CSTAFF", "171.0001").handoff_id == hid  # type: ignore[union-attr]
    assert desk.offer_follow_up(hid).won
    assert not desk.offer_follow_up(hid).won
    assert desk.claim(hid, "UANA", "Ana (UANA)").won
    assert not desk.claim(hid, "UBO", "Bo (UBO)").won
    assert not desk.offer_follow_up(hid).won  # claimed: no follow-up offer any more
    desk.log_action(hid, "resolve_confirm", "UBO", "Bo (UBO)")
    closed = desk.close(hid, "resolved", "UBO", "Bo (UBO)")
    assert closed.won and closed.case is not None and closed.case.closed_by == "UBO"
    assert closed.case.agent == "Ana (UANA)"
    assert not desk.close(hid, "returned", "UANA").won
    assert [(a, u) for a, u, _ in desk.actions(hid)] == [
        ("requested", None), ("timeout", None), ("claim", "UANA"),
        ("resolve_confirm", "UBO"), ("resolve", "UBO"),
    ]  # fmt: skip
    with pytest.raises(ValueError):
        desk.close(hid, "exploded")
