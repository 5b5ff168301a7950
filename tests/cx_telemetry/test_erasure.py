"""Right to erasure leaves nothing behind; retention purges old rows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from bot.state.database import GatewayDatabase
from bot.state.deliveries import DeliveryKeys
from bot.state.erasure import GatewayErasure
from bot.state.schema import GatewayBase
from bot.state.timer_store import TimerStore
from cx_telemetry import Settings, TelemetryStore
from cx_telemetry.cli import main
from cx_telemetry.models import Base

from .conftest import T0
from .fixtures import build_world


def _dump(store: TelemetryStore) -> str:
    """Every row of every table of the product's database: telemetry and the gateway's."""
    tables = [*Base.metadata.sorted_tables, *GatewayBase.metadata.sorted_tables]
    with store.engine.connect() as conn:
        return "\n".join(" ".join(map(str, row)) for t in tables for row in conn.execute(select(t)))


def test_forget_removes_everything_about_one_customer(
    store: TelemetryStore,
    down_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = build_world(store)  # telegram:1 owns conversations a and e
    timers = TimerStore(GatewayDatabase(settings.db_url))
    timers.schedule("idle", ids["a"], T0, {})
    timers.schedule("idle", ids["b"], T0, {})
    down = TelemetryStore(
        Settings(down_url, settings.pseudonym_key, settings.pseudonym_key_file, settings.outbox_dir)
    )
    late = down.open_conversation(
        channel="telegram", customer_id="telegram:1"
    )  # waiting in the outbox
    down.note_turn(late, by="customer")
    down.note_turn(ids["b"], by="bot")  # someone else's event stays
    pseudonym = store.pseudonym("telegram:1")
    assert pseudonym in _dump(store)

    monkeypatch.setenv("CX_TELEMETRY_DB_URL", settings.db_url)
    monkeypatch.setenv("CX_TELEMETRY_OUTBOX", str(settings.outbox_dir))
    monkeypatch.setenv("CX_PSEUDONYM_KEY", str(settings.pseudonym_key))
    assert main(["forget", "--customer", "telegram:1"]) == 0
    out = capsys.readouterr().out
    assert (
        out.strip() == "removed conversations=2 survey_responses=3 handoffs=0"
        " verification_attempts=0 clarifications=0 transcripts=0 customer_links=0 timers=1 handoff_cases=0 handoff_actions=0 detractor_alerts=0 inbox=0 tracker_events=0"
        " verified_chats=0 one_time_codes=0 verification_failures=0 outbox_events=2"
    )

    dump = _dump(store)
    assert (
        pseudonym not in dump and ids["a"] not in dump and ids["e"] not in dump and late not in dump
    )
    assert ids["b"] in dump  # other customers untouched
    remaining = [p.read_text() for p in settings.outbox_dir.glob("*.json")]
    assert len(remaining) == 1 and ids["b"] in remaining[0]
    assert store.replay().applied == 1
    assert pseudonym not in _dump(store)


def test_forget_removes_handoffs_and_staff_desk_cases_too(store: TelemetryStore) -> None:
    ids = build_world(store)
    cases = GatewayBase.metadata.tables["handoff_cases"]
    actions = GatewayBase.metadata.tables["handoff_actions"]
    with store.engine.begin() as conn:  # the staff desk's card for B: name, address, transcript
        conn.execute(insert(cases).values(
            handoff_id=ids["h"], conversation_id=ids["b"], sender_id="slack:D1:U1", channel="slack",
            address={"channel": "D1", "user": "U1"}, customer=store.pseudonym("slack:D1:U1"),
            customer_name="Bob Example", transcript=["Customer: my card was charged twice"],
            status="resolved", requested_at=T0,
        ))  # fmt: skip
        conn.execute(
            insert(actions).values(handoff_id=ids["h"], action="claim", agent="Ana (U1)", at=T0)
        )
    gateway = GatewayErasure(GatewayDatabase(store.settings.db_url))
    assert store.forget("slack:D1:U1", also=[gateway]) == {
        "conversations": 1, "survey_responses": 2, "handoffs": 1, "verification_attempts": 0,
        "clarifications": 0, "transcripts": 0, "customer_links": 0, "timers": 0, "handoff_cases": 1, "handoff_actions": 1, "detractor_alerts": 0,
        "inbox": 0, "tracker_events": 0, "outbox_events": 0,
    }  # fmt: skip
    dump = _dump(store)
    assert ids["h"] not in dump and "Bob Example" not in dump and "charged twice" not in dump


def test_purge_enforces_retention(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    build_world(store)
    now = datetime.now(timezone.utc)
    recent = store.open_conversation(channel="telegram", customer_id="telegram:new", at=now)
    store.survey_asked(recent, metric="csat", at=now)
    DeliveryKeys(GatewayDatabase(store.settings.db_url)).first_delivery(
        "old-update", at=now - timedelta(days=400)
    )
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", store.settings.db_url)
    assert main(["purge", "--older-than", "30d"]) == 0
    assert "conversations=5" in capsys.readouterr().out
    dump = _dump(store)
    assert recent in dump and "old-update" not in dump
    assert store.get_conversation(recent) is not None
