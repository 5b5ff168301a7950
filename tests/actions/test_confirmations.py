"""Confirm before acting (issue #11): cancelling, a return and deleting an account show what will
happen and act only on a Yes; a return of several items asks which. The chats here are verified
for the orders' owners (issue #13; tests/actions/test_verified_chat.py covers getting there)."""

from __future__ import annotations

from typing import Any

from actions import context
from actions.account import ActionDeleteAccount, AskDeleteConfirmation, ValidateDeleteAccountForm
from actions.order_forms import ValidateCancelOrderForm, ValidateGetRefundForm
from actions.order_questions import AskCancelConfirmation, AskReturnConfirmation, AskReturnItems
from actions.orders import ActionCancelOrder, ActionGetRefund
from cx_telemetry import TelemetryStore

from .conftest import Conversation, run

CANCEL, REFUND = "cancel_order_form", "get_refund_form"


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def status(order_id: str) -> str:
    order = context.backend().get_order(order_id)
    assert order is not None
    return order.status.value


async def test_cancel_shows_what_will_happen_and_acts_only_on_yes(store: TelemetryStore) -> None:
    chat = Conversation(store)
    chat.verify("ana.lopez@example.com")
    entities = [{"entity": "order_id", "value": "10001"}]
    tracker = chat.form_turn(CANCEL, "cancel order 10001", "cancel_order", 0.96, entities, True)
    _, events = await run(ValidateCancelOrderForm(), tracker)
    assert slots(events)["requested_slot"] == "confirmed"
    assert status("10001") == "processing"  # nothing happened yet

    asked, _ = await run(
        AskCancelConfirmation(), chat.tracker("x", "cancel_order", order_id="10001")
    )
    order = context.backend().get_order("10001")
    assert order is not None
    assert asked[0]["text"].startswith(
        f"Cancel order #10001: 1 item ({order.items[0]}), "
        f"{order.total_cents / 100:.2f} EUR, paid by {order.payment_method}?"
    )
    assert asked[0]["buttons"] == [
        {"title": "Yes, cancel it", "payload": "/affirm"},
        {"title": "No, keep it", "payload": "/deny"},
    ]

    no = chat.form_turn(CANCEL, "no", "deny", 0.97, requested_slot="confirmed", order_id="10001")
    _, events = await run(ValidateCancelOrderForm(), no)
    assert slots(events) == {"confirmed": False, "requested_slot": None}
    messages, _ = await run(
        ActionCancelOrder(), chat.tracker("no", "deny", order_id="10001", confirmed=False)
    )
    assert "haven't cancelled anything" in messages[0]["text"] and status("10001") == "processing"

    unclear = chat.form_turn(CANCEL, "hmm", "nlu_fallback", 0.3, requested_slot="confirmed")
    _, events = await run(ValidateCancelOrderForm(), unclear)
    assert slots(events)["confirmed"] is False  # only a Yes acts

    yes = chat.form_turn(CANCEL, "/affirm", "affirm", 1.0, requested_slot="confirmed")
    _, events = await run(ValidateCancelOrderForm(), yes)
    assert slots(events) == {"confirmed": True, "requested_slot": None}
    messages, _ = await run(
        ActionCancelOrder(), chat.tracker("/affirm", "affirm", order_id="10001", confirmed=True)
    )
    assert messages[0]["text"].startswith("Done: order #10001 is cancelled")
    assert status("10001") == "cancelled"


async def test_a_refused_cancel_offers_what_fits_a_parcel_on_its_way(store: TelemetryStore) -> None:
    chat = Conversation(store)
    chat.verify("ben.okafor@example.com")
    entities = [{"entity": "order_id", "value": "10002"}]
    tracker = chat.form_turn(CANCEL, "cancel 10002", "cancel_order", 0.96, entities, True)
    _, events = await run(ValidateCancelOrderForm(), tracker)
    assert slots(events)["requested_slot"] is None  # nothing to confirm: nothing will happen
    messages, _ = await run(
        ActionCancelOrder(), chat.tracker("x", "cancel_order", order_id="10002")
    )
    text, payloads = messages[0]["text"], [b["payload"] for b in messages[0]["buttons"]]
    assert "refuse the parcel at the door" in text and "return it within 30 days" in text
    assert "/get_refund" not in payloads
    assert payloads == ['/track_order{"order_id": "10002"}', "/check_refund_policy",
                        "/contact_human_agent"]  # fmt: skip


async def test_a_return_of_several_items_asks_which_then_for_a_yes(store: TelemetryStore) -> None:
    chat = Conversation(store)
    chat.verify("chloe.martin@example.com")
    entities = [{"entity": "order_id", "value": "10003"}]
    tracker = chat.form_turn(REFUND, "refund 10003", "get_refund", 0.95, entities, True)
    _, events = await run(ValidateGetRefundForm(), tracker)
    assert slots(events)["requested_slot"] == "return_items"
    asked, _ = await run(AskReturnItems(), chat.tracker("x", "get_refund", order_id="10003"))
    order = context.backend().get_order("10003")
    assert order is not None
    assert [b["title"] for b in asked[0]["buttons"]] == [*order.items, "All of them"]
    second = asked[0]["buttons"][1]["payload"]
    assert second == '/get_refund{"item": "2"}'

    pick = chat.form_turn(REFUND, second, "get_refund", 1.0, [{"entity": "item", "value": "2"}],
                          requested_slot="return_items", order_id="10003")  # fmt: skip
    _, events = await run(ValidateGetRefundForm(), pick)
    assert slots(events) == {"return_items": [order.items[1]], "requested_slot": "confirmed"}
    asked, _ = await run(
        AskReturnConfirmation(),
        chat.tracker("x", "get_refund", order_id="10003", return_items=[order.items[1]]),
    )
    price = order.item_cents[1] / 100
    assert asked[0]["text"].startswith(
        f"Start a return for order #10003: {order.items[1]}, {price:.2f} EUR back to your"
    )
    assert context.backend().get_refund("10003") is None  # nothing started yet
    messages, _ = await run(
        ActionGetRefund(),
        chat.tracker("yes", "affirm", order_id="10003", return_items=[order.items[1]],
                     confirmed=True),
    )  # fmt: skip
    assert messages[0]["text"].startswith(f"I've started a return for {order.items[1]}")
    refund = context.backend().get_refund("10003")
    assert refund is not None and refund.amount_cents == order.item_cents[1]


async def test_deleting_an_account_asks_first(store: TelemetryStore) -> None:
    chat = Conversation(store)
    chat.verify("emma.schulz@example.com")
    asked, _ = await run(
        AskDeleteConfirmation(), chat.tracker("delete my account", "delete_account")
    )
    assert asked[0]["text"].startswith("Delete your Brightcart account?")
    assert [b["payload"] for b in asked[0]["buttons"]] == ["/affirm", "/deny"]
    form = "delete_account_form"
    _, events = await run(
        ValidateDeleteAccountForm(),
        chat.form_turn(form, "no", "deny", 0.9, requested_slot="confirmed"),
    )
    assert slots(events)["confirmed"] is False
    messages, _ = await run(ActionDeleteAccount(), chat.tracker("no", "deny", confirmed=False))
    assert messages[0]["text"] == "Okay, your account stays as it is."
    messages, _ = await run(ActionDeleteAccount(), chat.tracker("yes", "affirm", confirmed=True))
    assert "asked for your account to be deleted (reference DEL-" in messages[0]["text"]


async def test_another_order_number_at_the_yes_starts_over_with_that_order(
    store: TelemetryStore,
) -> None:
    """Rasa puts the new number in ``order_id`` before the form reads the message: it is not a
    Yes for the order whose summary the customer saw."""
    chat = Conversation(store)
    chat.verify("ana.lopez@example.com")  # owns 10001 and 10018, both processing
    first = [{"entity": "order_id", "value": "10001"}]
    tracker = chat.form_turn(CANCEL, "cancel order 10001", "cancel_order", 0.96, first, True)
    _, events = await run(ValidateCancelOrderForm(), tracker)
    chat.apply(events)
    assert chat.slots["requested_slot"] == "confirmed"

    other = [{"entity": "order_id", "value": "10018"}]
    tracker = chat.form_turn(CANCEL, "actually cancel 10018", "cancel_order", 0.96, other)
    _, events = await run(ValidateCancelOrderForm(), tracker)
    chat.apply(events)
    assert slots(events)["requested_slot"] == "confirmed" and slots(events)["confirmed"] is None
    assert status("10001") == status("10018") == "processing"  # nothing happened yet
    asked, _ = await run(AskCancelConfirmation(), chat.tracker("x", "cancel_order"))
    assert asked[0]["text"].startswith("Cancel order #10018:")

    yes = chat.form_turn(CANCEL, "yes", "affirm", 0.97)
    _, events = await run(ValidateCancelOrderForm(), yes)
    chat.apply(events)
    assert slots(events) == {"confirmed": True, "requested_slot": None}
    done, _ = await run(ActionCancelOrder(), chat.tracker("yes", "affirm"))
    assert done[0]["text"].startswith("Done: order #10018 is cancelled")
    assert status("10018") == "cancelled" and status("10001") == "processing"
