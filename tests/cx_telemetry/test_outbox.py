"""Durability: a real outage (missing SQLite directory / closed PostgreSQL port), the outbox,
and replay once the database is back. Nothing is lost and nothing counts twice."""

from __future__ import annotations

import json
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cx_telemetry import Settings, TelemetryStore, store_core
from cx_telemetry.cli import main
from cx_telemetry.models import Conversation, Handoff, SurveyResponse

from .conftest import T0


def _down(down_url: str, settings: Settings) -> TelemetryStore:
    return TelemetryStore(
        Settings(down_url, settings.pseudonym_key, settings.pseudonym_key_file, settings.outbox_dir)
    )


def _story(s: TelemetryStore) -> str:
    cid = s.open_conversation(channel="telegram", customer_id="telegram:77", at=T0)
    s.note_turn(cid, by="customer", at=T0)
    s.note_intent(cid, "payment_issue", at=T0)
    s.note_turn(cid, by="bot", at=T0 + timedelta(seconds=1))
    hid = s.handoff_requested(cid, at=T0 + timedelta(seconds=2))
    s.handoff_claimed(hid, agent="Ana (U1)", at=T0 + timedelta(seconds=62))
    s.handoff_resolved(hid, at=T0 + timedelta(seconds=362))
    s.survey_asked(
        cid, metric="csat", segment="agent", agent="Ana (U1)", at=T0 + timedelta(seconds=363)
    )
    s.survey_answered(cid, metric="csat", score=5, at=T0 + timedelta(seconds=370))
    s.survey_answered(cid, metric="csat", score=5, at=T0 + timedelta(seconds=370))
    s.close_conversation(cid, at=T0 + timedelta(seconds=400))
    return cid


def _assert_story_landed(s: TelemetryStore, cid: str) -> None:
    info = s.get_conversation(cid)
    assert info is not None
    assert (info.customer_turns, info.bot_turns, info.outcome) == (1, 1, "escalated")
    assert info.support_intents == ("payment_issue",) and info.closed_at == T0 + timedelta(
        seconds=400
    )
    with s.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Conversation)) == 1
        assert conn.scalar(select(func.count()).select_from(SurveyResponse)) == 1
        score, status = conn.execute(select(SurveyResponse.score, SurveyResponse.status)).one()
        assert (score, status) == (5, "answered")
        wait, handle = conn.execute(select(Handoff.wait_s, Handoff.handle_s)).one()
        assert (wait, handle) == (60.0, 300.0)


def test_writes_during_an_outage_wait_in_the_outbox_and_replay(
    down_url: str, settings: Settings, store: TelemetryStore
) -> None:
    down = _down(down_url, settings)
    started = time.monotonic()
    cid = _story(down)  # nothing raises, the caller is not blocked
    assert time.monotonic() - started < 10
    assert len(cid) == 32
    pending = sorted(p.name for p in settings.outbox_dir.glob("*.json"))
    assert len(pending) == 11
    for path in settings.outbox_dir.glob("*.json"):
        assert "telegram:77" not in path.read_text()  # only the pseudonym waits on disk

    store.note_turn(cid, by="bot", at=T0 + timedelta(seconds=500))  # next successful write replays
    assert not store.outbox.has_pending()
    info = store.get_conversation(cid)
    assert info is not None and info.bot_turns == 2
    store.dispose()


def test_replay_command_applies_the_outbox_once(
    down_url: str,
    settings: Settings,
    store: TelemetryStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    down = _down(down_url, settings)
    cid = _story(down)
    backup = tmp_path / "outbox-copy"
    shutil.copytree(settings.outbox_dir, backup)
    result = store.replay()
    assert (result.applied, result.pending, result.dead) == (11, 0, 0)
    _assert_story_landed(store, cid)

    # a crash after commit but before the file was removed: the same events again
    for path in backup.glob("*.json"):
        shutil.copy(path, settings.outbox_dir / path.name)
    monkeypatch.setenv("CX_TELEMETRY_DB_URL", settings.db_url)
    monkeypatch.setenv("CX_TELEMETRY_OUTBOX", str(settings.outbox_dir))
    monkeypatch.setenv("CX_PSEUDONYM_KEY", str(settings.pseudonym_key))
    assert main(["replay"]) == 0
    _assert_story_landed(store, cid)
    assert not store.outbox.has_pending()


def test_the_same_store_recovers_when_the_database_comes_back(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite only: the database file lives on a volume that is missing, then mounted."""
    monkeypatch.setattr(store_core, "RETRY_AFTER_S", 0.0)
    db = tmp_path / "later" / "telemetry.sqlite3"
    s = TelemetryStore(Settings(f"sqlite:///{db}", "k", tmp_path / "key", tmp_path / "outbox"))
    cid = _story(s)
    assert s.outbox.has_pending()
    db.parent.mkdir()
    shutil.copy(sqlite_template, db)  # the volume is back
    s.note_fallback(cid)
    assert not s.outbox.has_pending()
    _assert_story_landed(s, cid)
    assert s.get_conversation(cid).fallback_count == 1  # type: ignore[union-attr]
    s.dispose()


def test_a_refused_event_is_kept_in_dead_letters_not_lost(
    store: TelemetryStore, settings: Settings
) -> None:
    settings.outbox_dir.mkdir(parents=True)
    (settings.outbox_dir / "00000000000000000001-bad.json").write_text("{not json")
    (settings.outbox_dir / "00000000000000000002-x.json").write_text(
        json.dumps({"id": "e" * 32, "op": "no_such_op", "args": {}})
    )
    result = store.replay()
    assert (result.applied, result.pending, result.dead) == (0, 0, 2)
    assert sorted(p.name for p in (settings.outbox_dir / "dead").iterdir()) == [
        "00000000000000000001-bad.json", "00000000000000000002-x.json",
    ]  # fmt: skip


def test_an_outage_during_open_conversation_never_splits_the_conversation(
    down_url: str, settings: Settings, store: TelemetryStore
) -> None:
    """The customer's conversation is open; the database goes down mid-conversation, so the
    outbox hands out an id of its own. After the replay there is still one conversation, open,
    with every turn and the survey answer on it, and the outage's id finds it."""
    real = store.open_conversation(channel="telegram", customer_id="telegram:88", at=T0)
    store.note_turn(real, by="customer", at=T0)
    store.note_intent(real, "track_order", at=T0)
    store.survey_asked(real, metric="csat", at=T0 + timedelta(seconds=5))

    down = _down(down_url, settings)
    during = down.open_conversation(
        channel="telegram", customer_id="telegram:88", at=T0 + timedelta(seconds=10)
    )
    assert during != real  # the outbox could not know the real id
    down.note_turn(during, by="customer", at=T0 + timedelta(seconds=10))
    down.survey_answered(during, metric="csat", score=4, at=T0 + timedelta(seconds=11))

    assert store.replay().pending == 0
    after = store.open_conversation(
        channel="telegram", customer_id="telegram:88", at=T0 + timedelta(seconds=20)
    )
    store.note_turn(during, by="bot", at=T0 + timedelta(seconds=21))  # an action's late write
    assert after == real
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Conversation)) == 1
        rows = conn.execute(
            select(SurveyResponse.conversation_id, SurveyResponse.score, SurveyResponse.status)
        ).all()
    assert [tuple(r) for r in rows] == [(real, 4, "answered")]
    info = store.get_conversation(during)
    assert info is not None and info.closed_at is None
    assert (info.customer_turns, info.bot_turns) == (2, 1)
    store.dispose()


def test_an_outage_id_is_the_conversation_when_none_was_open(
    down_url: str, settings: Settings, store: TelemetryStore
) -> None:
    down = _down(down_url, settings)
    cid = down.open_conversation(channel="telegram", customer_id="telegram:89", at=T0)
    down.note_turn(cid, by="customer", at=T0)
    assert store.replay().pending == 0
    info = store.get_conversation(cid)
    assert info is not None and info.customer_turns == 1
    store.dispose()
