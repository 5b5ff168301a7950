"""The store API of docs/CONTRACT.md, as the gateway and the actions use it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from cx_telemetry import InvalidTelemetry, Settings, StoreUnavailable, TelemetryStore
from cx_telemetry.models import Base, Conversation, Handoff, SurveyResponse

from .conftest import T0


def _count(store: TelemetryStore, model: type) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def _response(store: TelemetryStore, cid: str, metric: str) -> SurveyResponse:
    with store._session()() as s:
        row = s.scalar(
            select(SurveyResponse).where(
                SurveyResponse.conversation_id == cid, SurveyResponse.metric == metric
            )
        )
        assert row is not None
        return row


def test_open_conversation_reuses_the_open_one_and_opens_after_close(store: TelemetryStore) -> None:
    a = store.open_conversation(channel="telegram", customer_id="telegram:42", at=T0)
    assert store.open_conversation(channel="telegram", customer_id="telegram:42") == a
    assert store.open_conversation(channel="slack", customer_id="telegram:42") != a
    store.close_conversation(a, at=T0 + timedelta(minutes=5))
    b = store.open_conversation(channel="telegram", customer_id="telegram:42")
    assert b != a and len(a) == 32 and len(b) == 32
    info = store.get_conversation(a)
    assert info is not None and info.opened_at == T0 and info.closed_at == T0 + timedelta(minutes=5)
    assert store.get_conversation("nope") is None


def test_no_raw_customer_ids_are_stored(store: TelemetryStore) -> None:
    cid = store.open_conversation(channel="telegram", customer_id="telegram:987654321", locale="en")
    store.survey_asked(cid, metric="csat")
    store.survey_answered(cid, metric="csat", score=2)
    store.survey_comment(
        cid, metric="csat", comment="call me on +1 415 555 0199 or a.b@example.org"
    )
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                dump = " ".join(str(v) for v in row)
                assert "987654321" not in dump
                assert "example.org" not in dump and "415 555" not in dump
    assert _response(store, cid, "csat").comment == "call me on [phone] or [email]"
    with store._session()() as s:
        conv = s.get(Conversation, cid)
        assert conv is not None and conv.customer == store.pseudonym("telegram:987654321")


def test_turns_intents_fallbacks_and_derived_outcomes(store: TelemetryStore) -> None:
    cid = store.open_conversation(channel="telegram", customer_id="telegram:1", model_version="m1")
    store.note_turn(cid, by="customer")
    store.note_turn(cid, by="customer")
    store.note_turn(cid, by="bot", at=T0)
    store.note_intent(cid, "greet", support=False)
    store.note_intent(cid, "order_status")
    store.note_intent(cid, "return_item")
    store.note_intent(cid, "order_status")
    store.note_fallback(cid)
    info = store.get_conversation(cid)
    assert info is not None
    assert (info.customer_turns, info.bot_turns, info.fallback_count) == (2, 1, 1)
    assert info.support_intents == ("order_status", "return_item")
    assert info.last_support_intent == "order_status" and info.last_bot_at == T0
    assert info.model_version == "m1" and not info.handoff_open and not info.survey_started
    store.close_conversation(cid)
    store.close_conversation(cid, outcome="abandoned")  # closing twice is a no-op
    assert store.get_conversation(cid).outcome == "contained"  # type: ignore[union-attr]

    chat = store.open_conversation(channel="telegram", customer_id="telegram:2")
    store.close_conversation(chat)
    assert store.get_conversation(chat).outcome == "abandoned"  # type: ignore[union-attr]

    esc = store.open_conversation(channel="telegram", customer_id="telegram:3")
    store.handoff_requested(esc)
    assert store.get_conversation(esc).handoff_open  # type: ignore[union-attr]
    store.close_conversation(esc)
    assert store.get_conversation(esc).outcome == "escalated"  # type: ignore[union-attr]


def test_survey_writes_are_idempotent(store: TelemetryStore) -> None:
    cid = store.open_conversation(channel="slack", customer_id="slack:D1:U1")
    store.note_intent(cid, "order_status")
    for _ in range(2):  # a replayed webhook
        store.survey_asked(cid, metric="csat", scale_max=5, segment="bot", at=T0)
        store.survey_answered(cid, metric="csat", score=4, at=T0 + timedelta(seconds=10))
    store.survey_answered(cid, metric="csat", score=1)  # a later different tap does not count
    assert _count(store, SurveyResponse) == 1
    row = _response(store, cid, "csat")
    assert (row.score, row.status, row.channel, row.intent) == (
        4,
        "answered",
        "slack",
        "order_status",
    )
    assert row.asked_at == T0 and row.answered_at == T0 + timedelta(seconds=10)
    assert store.get_conversation(cid).survey_started  # type: ignore[union-attr]


def test_answer_without_ask_and_end_statuses(store: TelemetryStore) -> None:
    cid = store.open_conversation(channel="telegram", customer_id="telegram:5")
    store.survey_answered(cid, metric="ces", score=6)
    assert _response(store, cid, "ces").scale_max == 7
    store.survey_asked(cid, metric="csat")
    store.survey_ended(cid, status="skipped")
    assert _response(store, cid, "csat").status == "skipped"
    assert _response(store, cid, "ces").status == "answered"

    other = store.open_conversation(channel="telegram", customer_id="telegram:6")
    store.survey_asked(other, metric="csat")
    store.close_conversation(other)
    assert _response(store, other, "csat").status == "expired"


def test_score_above_the_scale_is_not_recorded(store: TelemetryStore) -> None:
    cid = store.open_conversation(channel="telegram", customer_id="telegram:7")
    store.survey_asked(cid, metric="csat", scale_max=5)
    store.survey_answered(cid, metric="csat", score=7)
    assert _response(store, cid, "csat").status == "asked"


def test_handoff_lifecycle_first_event_wins(store: TelemetryStore) -> None:
    cid = store.open_conversation(channel="telegram", customer_id="telegram:8")
    hid = store.handoff_requested(cid, reason="customer_request", at=T0)
    assert store.handoff_requested(cid) == hid
    store.handoff_claimed(hid, agent="Ana (U1)", at=T0 + timedelta(seconds=30))
    store.handoff_claimed(hid, agent="Ben (U2)", at=T0 + timedelta(seconds=40))
    store.handoff_agent_replied(hid, at=T0 + timedelta(seconds=45))
    store.handoff_agent_replied(hid, at=T0 + timedelta(seconds=90))
    h = store.open_handoff(cid)
    assert h is not None and h.id == hid and h.agent == "Ana (U1)"
    assert h.first_reply_at == T0 + timedelta(seconds=45)
    store.handoff_resolved(hid, outcome="resolved", at=T0 + timedelta(seconds=330))
    store.handoff_resolved(hid, outcome="cancelled", at=T0 + timedelta(seconds=999))
    assert store.open_handoff(cid) is None
    with store._session()() as s:
        row = s.get(Handoff, hid)
        assert row is not None
        assert (row.wait_s, row.first_response_s, row.handle_s) == (30.0, 45.0, 300.0)
        assert row.outcome == "resolved"
    assert store.handoff_requested(cid) != hid  # a new one after resolution


def test_bad_arguments_raise_before_any_io(store: TelemetryStore) -> None:
    with pytest.raises(InvalidTelemetry):
        store.survey_asked("x", metric="sus")
    with pytest.raises(InvalidTelemetry):
        store.survey_answered("x", metric="csat", score=0)
    with pytest.raises(InvalidTelemetry):
        store.survey_answered("x", metric="nps", score=11)
    with pytest.raises(InvalidTelemetry):
        store.note_turn("x", by="robot")
    with pytest.raises(InvalidTelemetry):
        store.survey_ended("x", status="answered")
    assert not store.outbox.has_pending()


def test_writes_for_unknown_conversations_do_not_raise(store: TelemetryStore) -> None:
    store.note_turn("0" * 32, by="bot")
    store.handoff_claimed("0" * 32, agent="x")
    store.close_conversation("0" * 32)
    assert not store.outbox.has_pending()


def test_timestamps_are_utc_aware(store: TelemetryStore) -> None:
    cid = store.open_conversation(channel="telegram", customer_id="telegram:9")
    info = store.get_conversation(cid)
    assert info is not None and info.opened_at.utcoffset() == timedelta(0)
    with store.engine.connect() as conn:
        assert conn.execute(text("select 1")).scalar() == 1


def test_readers_raise_when_the_database_is_down(down_url: str, settings: Settings) -> None:
    down = TelemetryStore(
        Settings(down_url, settings.pseudonym_key, settings.pseudonym_key_file, settings.outbox_dir)
    )
    with pytest.raises(StoreUnavailable):
        down.get_conversation("x")


@pytest.fixture
def second(settings: Settings) -> Iterator[TelemetryStore]:
    """A second process: its own engine and connection pool on the same database."""
    s = TelemetryStore.from_settings(settings)
    yield s
    s.dispose()


def test_two_processes_opening_the_same_customer_share_one_conversation(
    store: TelemetryStore, second: TelemetryStore
) -> None:
    got: list[str] = []

    def open_many(s: TelemetryStore) -> None:
        for _ in range(10):
            got.append(s.open_conversation(channel="telegram", customer_id="telegram:race"))

    threads = [threading.Thread(target=open_many, args=(s,)) for s in (store, second, store)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(got) == 30 and len(set(got)) == 1
    assert not store.outbox.has_pending()


def test_why_not_surveyed_first_reason_counts_never_after_a_survey(store: TelemetryStore) -> None:
    cid = store.open_conversation("telegram", "telegram:1", at=T0)
    store.survey_not_asked(cid, "cooldown")
    store.survey_not_asked(cid, "staff")  # a replay or a later reason changes nothing
    assert store.get_conversation(cid).not_surveyed == "cooldown"  # type: ignore[union-attr]
    surveyed = store.open_conversation("telegram", "telegram:2", at=T0)
    store.survey_asked(surveyed, "csat", at=T0)
    store.survey_not_asked(surveyed, "staff")
    assert store.get_conversation(surveyed).not_surveyed is None  # type: ignore[union-attr]
    with pytest.raises(InvalidTelemetry):
        store.survey_not_asked(cid, "tired")


def test_last_surveyed_at_is_per_customer_and_metric(store: TelemetryStore) -> None:
    first = store.open_conversation("telegram", "telegram:1", at=T0)
    store.survey_asked(first, "csat", at=T0)
    store.survey_asked(first, "ces", at=T0 + timedelta(minutes=1))
    store.close_conversation(first, at=T0 + timedelta(minutes=2))
    again = store.open_conversation("telegram", "telegram:1", at=T0 + timedelta(days=1))
    key = store.get_conversation(again).customer_key  # type: ignore[union-attr]
    assert key is not None
    assert store.last_surveyed_at(key) == T0 + timedelta(minutes=1)
    assert store.last_surveyed_at(key, metric="csat") == T0
    assert store.last_surveyed_at(key, besides=first) is None
    other = store.get_conversation(store.open_conversation("slack", "slack:D1:U1", at=T0))
    assert other is not None and store.last_surveyed_at(str(other.customer_key)) is None
