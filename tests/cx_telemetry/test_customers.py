"""One customer across channels: the customer key of verified chats, re-contact within 7 days,
verification attempts, and their erasure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cx_telemetry import InvalidTelemetry, Settings, TelemetryStore
from cx_telemetry.models import Base, Conversation, CustomerLink, VerificationAttempt

from .conftest import T0

DAY = timedelta(days=1)
UNTIL = T0 + timedelta(days=30)


def _conv(store: TelemetryStore, cid: str) -> Conversation:
    with store._session()() as s:
        row = s.get(Conversation, cid)
        assert row is not None
        return row


def _visit(
    store: TelemetryStore, chat: str, at: Any, intent: str | None = None, order: str | None = None
) -> str:
    """One closed conversation of ``chat`` (``telegram:1``) about ``intent`` and/or ``order``."""
    cid = store.open_conversation(channel=chat.split(":")[0], customer_id=chat, at=at)
    if intent:
        store.note_intent(cid, intent, at=at)
    if order:
        store.note_order(cid, order, at=at)
    store.close_conversation(cid, at=at + timedelta(minutes=5))
    return cid


def test_a_verified_chat_carries_the_shop_customers_key_until_unlinked(
    store: TelemetryStore,
) -> None:
    before = store.open_conversation(channel="telegram", customer_id="telegram:1", at=T0)
    assert _conv(store, before).customer_key == store.pseudonym("telegram:1")  # the chat's own
    store.link_customer(before, "telegram:1", "C1001", until=UNTIL, at=T0 + timedelta(minutes=1))
    key = store.customer_key("C1001")
    assert _conv(store, before).customer_key == key and _conv(store, before).verified_at
    info = store.get_conversation(before)
    assert info is not None and info.verified and info.customer_key == key
    store.close_conversation(before, at=T0 + timedelta(minutes=5))

    later = store.open_conversation(channel="telegram", customer_id="telegram:1", at=T0 + DAY)
    assert _conv(store, later).customer_key == key  # every conversation while linked
    store.close_conversation(later, at=T0 + DAY)
    store.unlink_customer("telegram:1", at=T0 + 2 * DAY)
    after = store.open_conversation(channel="telegram", customer_id="telegram:1", at=T0 + 3 * DAY)
    assert _conv(store, after).customer_key == store.pseudonym("telegram:1")
    assert _conv(store, after).verified_at is None


def test_a_link_ends_by_itself_after_its_days(store: TelemetryStore) -> None:
    cid = store.open_conversation(channel="slack", customer_id="slack:D1:U1", at=T0)
    store.link_customer(cid, "slack:D1:U1", "C1002", until=T0 + 30 * DAY, at=T0)
    store.close_conversation(cid, at=T0)
    inside = _visit(store, "slack:D1:U1", T0 + 29 * DAY)
    outside = _visit(store, "slack:D1:U1", T0 + 31 * DAY)
    assert _conv(store, inside).customer_key == store.customer_key("C1002")
    assert _conv(store, outside).customer_key == store.pseudonym("slack:D1:U1")


def test_one_customer_on_two_channels_has_one_key_and_no_raw_id_is_stored(
    store: TelemetryStore,
) -> None:
    tg = store.open_conversation(channel="telegram", customer_id="telegram:555", at=T0)
    sl = store.open_conversation(channel="slack", customer_id="slack:D9:U9", at=T0 + DAY)
    store.link_customer(tg, "telegram:555", "C1013", until=UNTIL, at=T0)
    store.link_customer(sl, "slack:D9:U9", "C1013", until=UNTIL, at=T0 + DAY)
    other = store.open_conversation(channel="telegram", customer_id="telegram:777", at=T0)
    store.link_customer(other, "telegram:777", "C1014", until=UNTIL, at=T0)
    keys = {cid: _conv(store, cid).customer_key for cid in (tg, sl, other)}
    assert keys[tg] == keys[sl] != keys[other]
    assert keys[tg] not in (store.pseudonym("C1013"), store.pseudonym("telegram:555"))
    with store.engine.connect() as conn:
        dump = " ".join(
            str(v) for t in Base.metadata.sorted_tables for r in conn.execute(select(t)) for v in r
        )
    # the raw ids, as a value or inside one (random hex may contain "555" by chance)
    tokens = set(dump.split())
    assert "C1013" not in dump and "telegram:555" not in dump and "slack:D9:U9" not in dump
    assert not tokens & {"555", "D9", "U9", "telegram:777"}


def test_coming_back_within_7_days_about_the_same_intent_on_any_channel_is_a_recontact(
    store: TelemetryStore,
) -> None:
    first = _visit(store, "telegram:1", T0, intent="track_order")
    store.link_customer(first, "telegram:1", "C1001", until=UNTIL, at=T0)
    second = store.open_conversation(channel="slack", customer_id="slack:D1:U1", at=T0 + 6 * DAY)
    store.link_customer(second, "slack:D1:U1", "C1001", until=UNTIL, at=T0 + 6 * DAY)
    assert not _conv(store, first).recontacted  # same customer, no topic yet
    store.note_intent(second, "track_order", at=T0 + 6 * DAY)
    row = _conv(store, first)
    assert row.recontacted and row.recontacted_at == T0 + 6 * DAY and row.outcome == "contained"
    assert not _conv(store, second).recontacted


def test_a_different_topic_or_more_than_7_days_is_not_a_recontact(store: TelemetryStore) -> None:
    first = _visit(store, "telegram:1", T0, intent="track_order")
    _visit(store, "telegram:1", T0 + DAY, intent="delivery_options")  # another topic
    assert not _conv(store, first).recontacted
    late = _visit(store, "telegram:2", T0, intent="get_refund")
    _visit(store, "telegram:2", T0 + 8 * DAY, intent="get_refund")  # 8 days after it closed
    assert not _conv(store, late).recontacted
    mine = _visit(store, "telegram:3", T0, intent="get_refund")
    _visit(store, "telegram:4", T0 + DAY, intent="get_refund")  # another customer
    assert not _conv(store, mine).recontacted


def test_the_same_order_is_the_same_topic_whichever_conversation_learns_it_first(
    store: TelemetryStore,
) -> None:
    first = store.open_conversation(channel="telegram", customer_id="telegram:1", at=T0)
    store.link_customer(first, "telegram:1", "C1002", until=UNTIL, at=T0)
    store.note_intent(first, "track_order", at=T0)  # still open on Telegram when...
    second = store.open_conversation(channel="slack", customer_id="slack:D1:U1", at=T0 + DAY)
    store.link_customer(second, "slack:D1:U1", "C1002", until=UNTIL, at=T0 + DAY)
    store.note_intent(second, "cancel_order", at=T0 + DAY)  # ...the customer asks on Slack
    store.note_order(second, "10002", at=T0 + DAY)
    assert not _conv(store, first).recontacted
    store.note_order(first, "10002", at=T0 + 2 * DAY)  # the earlier one learns it late
    assert _conv(store, first).recontacted and not _conv(store, second).recontacted
    assert "10002" not in str(_conv(store, first).order_keys)  # orders are pseudonyms too


def test_a_chat_verified_later_is_still_the_same_customer(store: TelemetryStore) -> None:
    first = _visit(store, "telegram:1", T0, intent="get_refund")  # not verified then
    second = store.open_conversation(channel="telegram", customer_id="telegram:1", at=T0 + DAY)
    store.link_customer(second, "telegram:1", "C1005", until=UNTIL, at=T0 + DAY)
    store.note_intent(second, "get_refund", at=T0 + DAY)
    assert _conv(store, second).customer_key != _conv(store, first).customer_key
    assert _conv(store, first).recontacted


def test_verification_attempts_are_counted_without_what_was_typed(store: TelemetryStore) -> None:
    cid = store.open_conversation(channel="telegram", customer_id="telegram:1", at=T0)
    for kind, outcome in [("order_email", "wrong"), ("code_request", "ok"), ("code", "ok")]:
        store.verification_attempt(cid, kind, outcome, at=T0)
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                VerificationAttempt.kind, VerificationAttempt.outcome, VerificationAttempt.channel
            )
        ).all()
    assert sorted(rows) == [
        ("code", "ok", "telegram"),
        ("code_request", "ok", "telegram"),
        ("order_email", "wrong", "telegram"),
    ]
    with pytest.raises(InvalidTelemetry):
        store.verification_attempt(cid, "password", "ok")
    with pytest.raises(InvalidTelemetry):
        store.verification_attempt(cid, "code", "maybe")


def test_links_made_while_the_database_is_down_land_later(
    store: TelemetryStore, down_url: str, settings: Settings
) -> None:
    cid = store.open_conversation(channel="telegram", customer_id="telegram:1", at=T0)
    down = TelemetryStore(
        Settings(down_url, settings.pseudonym_key, settings.pseudonym_key_file, settings.outbox_dir)
    )
    down.link_customer(cid, "telegram:1", "C1001", until=UNTIL, at=T0)
    down.verification_attempt(cid, "code", "ok", at=T0)
    assert _conv(store, cid).customer_key == store.pseudonym("telegram:1")
    assert store.replay().applied == 2
    assert _conv(store, cid).customer_key == store.customer_key("C1001")


def test_forget_a_shop_customer_reaches_every_linked_chat(store: TelemetryStore) -> None:
    tg = _visit(store, "telegram:1", T0, intent="track_order")
    store.link_customer(tg, "telegram:1", "C1001", until=UNTIL, at=T0)
    unverified = _visit(store, "telegram:1", T0 - DAY, intent="greet")  # same chat, before
    sl = store.open_conversation(channel="slack", customer_id="slack:D1:U1", at=T0)
    store.link_customer(None, "slack:D1:U1", "C1001", until=UNTIL, at=T0)  # no conversation
    store.survey_asked(tg, metric="csat", at=T0)
    store.verification_attempt(tg, "code", "ok", at=T0)
    store.handoff_requested(tg, at=T0)
    kept = _visit(store, "telegram:2", T0, intent="track_order")
    store.link_customer(kept, "telegram:2", "C1002", until=UNTIL, at=T0)

    counts = store.forget_shop_customer("C1001")
    assert counts == {
        "conversations": 3, "survey_responses": 1, "handoffs": 1, "verification_attempts": 1,
        "clarifications": 0, "transcripts": 0, "customer_links": 2, "outbox_events": 0,
    }  # fmt: skip
    with store.engine.connect() as conn:
        left = set(conn.scalars(select(Conversation.id)))
        links = set(conn.scalars(select(CustomerLink.customer_key)))
    assert left == {kept} and unverified not in left and sl not in left
    assert links == {store.customer_key("C1002")}
