"""The order forms and answers, against the seeded demo shop. A look-up needs the order's e-mail
typed in the chat (``unlocked_order``) and an action a chat verified for the owner (issue #13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.order_forms import ValidateCancelOrderForm, ValidateTrackOrderForm
from actions.order_questions import AskOrderNumberTrackOrder
from actions.orders import ActionCancelOrder, ActionGetRefund, ActionTrackOrder, ActionTrackRefund
from cx_telemetry import TelemetryStore

from .conftest import Conversation, run


async def validate(action: object, value: str, chat: Conversation) -> tuple[dict, list[dict]]:
    """The order number typed while the form asks for it: (slots set, messages)."""
    form = action.name().removeprefix("validate_")  # type: ignore[attr-defined]
    entities = [{"entity": "order_id", "value": value}] if value[-5:].isdigit() else []
    tracker = chat.form_turn(form, value, "nlu_fallback", 0.4, entities, requested_slot="order_id")
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})  # type: ignore[attr-defined]
    return {e["name"]: e["value"] for e in events if e["name"] == "order_id"}, dispatcher.messages


async def test_order_number_is_asked_with_a_way_out(store: TelemetryStore) -> None:
    chat = Conversation(store)
    messages, _ = await run(
        AskOrderNumberTrackOrder(), chat.tracker("where is my order", "track_order")
    )
    assert "order number" in messages[0]["text"]
    assert messages[0]["buttons"] == [{"title": "I don't have it", "payload": "/deny"}]


@pytest.mark.parametrize("value", ["#10002", "ORD-10002", "10002"])
async def test_valid_order_numbers_are_accepted_normalised(
    store: TelemetryStore, value: str
) -> None:
    result, messages = await validate(ValidateTrackOrderForm(), value, Conversation(store))
    assert result == {"order_id": "10002"}
    assert [m["text"] for m in messages] == [
        "For your privacy, what's the e-mail address on order #10002?"
    ]


async def test_a_malformed_order_number_is_refused_with_the_format(store: TelemetryStore) -> None:
    result, messages = await validate(ValidateTrackOrderForm(), "12ab", Conversation(store))
    assert result == {"order_id": None}
    assert "5 digits" in messages[0]["text"]
    assert messages[0]["buttons"] == [{"title": "I don't have it", "payload": "/deny"}]


async def test_an_unknown_order_is_asked_about_like_a_known_one(store: TelemetryStore) -> None:
    result, messages = await validate(ValidateCancelOrderForm(), "99999", Conversation(store))
    assert result == {"order_id": "99999"}  # nothing says whether it exists
    assert messages[0]["text"] == "For your privacy, what's the e-mail address on order #99999?"


async def test_tracking_a_shipped_order_names_carrier_and_tracking_number(
    store: TelemetryStore,
) -> None:
    chat = Conversation(store)
    order = context.backend().get_order("10002")
    assert order is not None
    messages, _ = await run(
        ActionTrackOrder(),
        chat.tracker("10002", "track_order", order_id="10002", unlocked_order="10002"),
    )
    assert f"on its way with {order.carrier}" in messages[0]["text"]
    assert order.tracking_number in messages[0]["text"]
    info = store.get_conversation(chat.cid)
    assert info is not None and info.support_intents == ("track_order",)


async def test_a_shipped_order_cannot_be_cancelled_and_the_next_step_is_offered(
    store: TelemetryStore,
) -> None:
    messages, _ = await run(
        ActionCancelOrder(),
        Conversation(store).tracker(
            "10002", "cancel_order", order_id="10002", unlocked_order="10002"
        ),
    )
    assert "can't be cancelled" in messages[0]["text"]
    assert "refuse the parcel at the door" in messages[0]["text"]
    assert context.backend().get_order("10002").status.value == "shipped"  # type: ignore[union-attr]


async def test_a_processing_order_is_cancelled(store: TelemetryStore) -> None:
    chat = Conversation(store)
    chat.verify("ana.lopez@example.com")
    messages, _ = await run(
        ActionCancelOrder(), chat.tracker("yes", "affirm", order_id="10001", confirmed=True)
    )
    assert messages[0]["text"].startswith("Done: order #10001 is cancelled")
    assert context.backend().get_order("10001").status.value == "cancelled"  # type: ignore[union-attr]


async def test_a_refund_is_started_for_a_delivered_order_and_then_tracked(
    store: TelemetryStore,
) -> None:
    chat = Conversation(store)
    chat.verify("chloe.martin@example.com")
    messages, _ = await run(
        ActionGetRefund(), chat.tracker("yes", "affirm", order_id="10003", confirmed=True)
    )
    assert "I've started a return for" in messages[0]["text"]
    assert "from order #10003" in messages[0]["text"]
    messages, _ = await run(
        ActionTrackRefund(), chat.tracker("10003", "track_refund", order_id="10003")
    )
    assert "waiting for the parcel" in messages[0]["text"]


async def test_a_paid_refund_says_when_it_was_paid(store: TelemetryStore) -> None:
    messages, _ = await run(
        ActionTrackRefund(),
        Conversation(store).tracker(
            "10005", "track_refund", order_id="10005", unlocked_order="10005"
        ),
    )
    assert "was paid on" in messages[0]["text"]


async def test_a_failing_order_system_gets_an_apology_and_a_person(
    store: TelemetryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_DEMO_DB", str(tmp_path))  # a directory: every query fails
    context.settings.cache_clear()  # SHOP_DEMO_DB is read on first use
    context.backend.cache_clear()
    messages, _ = await run(
        ActionTrackOrder(),
        Conversation(store).tracker(
            "10002", "track_order", order_id="10002", unlocked_order="10002"
        ),
    )
    assert "can't reach our order system" in messages[0]["text"]
    assert messages[0]["buttons"] == [
        {"title": "Talk to a person", "payload": "/contact_human_agent"}
    ]
    result, messages = await validate(ValidateTrackOrderForm(), "10002", Conversation(store))
    assert result == {"order_id": "10002"}  # accepted as written; the answer explains the outage


async def test_another_order_question_mid_form_hands_the_turn_back_to_the_rules(
    store: TelemetryStore,
) -> None:
    from actions.order_forms import ValidateTrackRefundForm

    chat = Conversation(store)
    entities = [{"entity": "order_id", "value": "10001"}]
    tracker = chat.form_turn(
        "track_refund_form", "actually cancel order 10001", "cancel_order", 0.93, entities,
        requested_slot="order_id",
    )  # fmt: skip
    _, events = await run(ValidateTrackRefundForm(), tracker)
    assert [e["event"] for e in events] == ["action_execution_rejected"]
    # the form's own question with a number is an ordinary answer
    tracker = chat.form_turn(
        "track_refund_form", "10005", "track_refund", 0.9, [{"entity": "order_id", "value": "10005"}],
        requested_slot="order_id",
    )  # fmt: skip
    _, events = await run(ValidateTrackRefundForm(), tracker)
    assert {"event": "slot", "name": "order_id", "value": "10005", "timestamp": None} in events
