"""The order dialogue as a customer lives it (issue #11, "Order context"): the number a form
takes, what it offers, when it stops asking, and the single prompt when a number is wrong."""

from __future__ import annotations

from typing import Any

import pytest

from actions.customer import AskCustomerEmail
from actions.order_forms import ValidateCancelOrderForm, ValidateTrackOrderForm
from actions.order_questions import AskOrderNumberTrackOrder
from actions.order_reading import chosen_items, is_pre_purchase, read_order_message
from actions.orders import ActionGetInvoice, ActionTrackOrder
from cx_telemetry import TelemetryStore

from .conftest import Conversation, run

TRACK, CANCEL = "track_order_form", "cancel_order_form"


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"] for e in events]


@pytest.mark.parametrize(
    ("text", "malformed"),
    [("where has my order 1O0O2 got to?", "1O0O2"), ("it's 1234", "1234"), ("#123", "#123"),
     ("ORD-99", "ORD-99"), ("12ab", "12ab"), ("order 100023", "100023")],
)  # fmt: skip
def test_a_mistyped_number_is_recognised(text: str, malformed: str) -> None:
    assert read_order_message(text).malformed == malformed


@pytest.mark.parametrize(
    "text",
    ["I honestly can't find the number anywhere", "can't find it", "no order number sorry",
     "I lost the confirmation email", "it costs 54.90 EUR", "call me on +44 7700 900123?"],
)  # fmt: skip
def test_sentences_without_a_number_are_not_mistyped_numbers(text: str) -> None:
    reading = read_order_message(text)
    assert reading.order_id is None and reading.malformed is None


@pytest.mark.parametrize(
    ("text", "lost"),
    [("I honestly can't find the number anywhere", True), ("I lost the confirmation email", True),
     ("I don't have an order number", True), ("cannot see it", True),
     ("where is my order", False), ("I can't find my parcel", False)],
)  # fmt: skip
def test_a_customer_without_the_number_is_recognised(text: str, lost: bool) -> None:
    assert read_order_message(text).no_number is lost


async def test_cant_find_it_ends_the_form_whatever_nlu_made_of_it(store: TelemetryStore) -> None:
    chat = Conversation(store)
    tracker = chat.form_turn(TRACK, "I honestly can't find the number anywhere",
                             "contact_customer_service", 0.65, requested_slot="order_id")  # fmt: skip
    _, events = await run(ValidateTrackOrderForm(), tracker)
    assert slots(events)["order_help"] == "no_number" and "action_execution_rejected" not in [
        e["event"] for e in events
    ]


def test_numbers_in_every_spelling_are_read() -> None:
    assert read_order_message("it's ORD-10002 thanks").order_id == "10002"
    assert read_order_message("x", [{"entity": "order_id", "value": "#10003"}]).order_id == "10003"


@pytest.mark.parametrize(
    ("text", "before_buying"),
    [("I haven't ordered yet, just asking", True), ("I have not bought anything yet", True),
     ("no order yet", True), ("I'm thinking of ordering a lamp", True),
     ("I haven't received my order", False), ("where is my order", False)],
)  # fmt: skip
def test_pre_purchase_questions(text: str, before_buying: bool) -> None:
    assert is_pre_purchase(text) is before_buying


def test_items_are_chosen_by_name_number_or_all() -> None:
    items = ("Water bottle", "Yoga mat", "Coffee grinder")
    assert chosen_items("the yoga mat please", items) == ("Yoga mat",)
    assert chosen_items("2", items) == ("Yoga mat",)
    assert chosen_items("all", items) == items
    assert chosen_items("hmm", items) is None


# -- the forms ----------------------------------------------------------------------------------


async def test_i_cant_find_it_ends_the_form_with_help_not_a_loop(store: TelemetryStore) -> None:
    chat = Conversation(store)
    for text in ("I honestly can't find the number anywhere", "I lost the confirmation email"):
        tracker = chat.form_turn(TRACK, text, "nlu_fallback", 0.4, requested_slot="order_id")
        messages, events = await run(ValidateTrackOrderForm(), tracker)
        assert messages == []  # no "that doesn't look like an order number"
        assert slots(events) == {
            "order_id": None, "offered_order": None, "order_help": "no_number",
            "requested_slot": None,
        }  # fmt: skip
    messages, _ = await run(
        ActionTrackOrder(), chat.tracker("x", "nlu_fallback", order_help="no_number")
    )
    assert "confirmation e-mail" in messages[0]["text"]
    assert messages[0]["buttons"] == [
        {"title": "Talk to a person", "payload": "/contact_human_agent"}
    ]


async def test_two_wrong_numbers_then_a_person_is_offered(store: TelemetryStore) -> None:
    chat = Conversation(store)
    prompts = []
    for attempt, text in enumerate(("1234", "ORD-99", "12ab"), start=1):
        tracker = chat.form_turn(TRACK, text, "nlu_fallback", 0.3, requested_slot="order_id",
                                 order_attempts=attempt - 1)  # fmt: skip
        messages, events = await run(ValidateTrackOrderForm(), tracker)
        prompts.append(messages)
    assert len(prompts[0]) == 1 and "doesn't look like an order number" in prompts[0][0]["text"]
    assert len(prompts[1]) == 1 and "doesn't look like an order number" in prompts[1][0]["text"]
    assert prompts[2] == [] and slots(events)["order_help"] == "not_found"
    messages, _ = await run(
        ActionTrackOrder(),
        chat.tracker("x", "nlu_fallback", order_id=None, order_help="not_found"),
    )
    assert "Someone from our team can find it" in messages[0]["text"]


async def test_cancel_order_99999_gets_one_prompt(store: TelemetryStore) -> None:
    chat = Conversation(store)
    entities = [{"entity": "order_id", "value": "99999"}]
    tracker = chat.form_turn(CANCEL, "cancel order 99999", "cancel_order", 0.97, entities, True)
    messages, events = await run(ValidateCancelOrderForm(), tracker)
    # the question a real order gets: whether 99999 exists is not said
    assert [m["text"] for m in messages] == [
        "For your privacy, what's the e-mail address on order #99999?"
    ]
    # Rasa then runs the form's question with the validation's message in the tracker
    tracker.events.extend([{"event": "bot", "text": messages[0]["text"]}, *events])
    asked, _ = await run(AskCustomerEmail(), tracker)
    assert asked == []


async def test_a_mistyped_number_in_the_first_message_is_named(store: TelemetryStore) -> None:
    chat = Conversation(store)
    tracker = chat.form_turn(TRACK, "where has my order 1O0O2 got to?", "track_order", 0.9,
                             first=True)  # fmt: skip
    messages, events = await run(ValidateTrackOrderForm(), tracker)
    assert messages[0]["text"].startswith('"1O0O2" doesn\'t look like an order number')
    assert "5 digits, like 10234" in messages[0]["text"]
    assert slots(events)["requested_slot"] == "order_id"


async def test_a_question_below_the_switch_threshold_does_not_switch_forms(
    store: TelemetryStore,
) -> None:
    chat = Conversation(store)
    low = chat.form_turn(TRACK, "I don't have the order number", "cancel_order", 0.56,
                         requested_slot="order_id")  # fmt: skip
    _, events = await run(ValidateTrackOrderForm(), low)
    assert "action_execution_rejected" not in kinds(events)  # no switch to a cancellation
    assert slots(events)["order_help"] == "no_number"
    sure = chat.form_turn(TRACK, "actually cancel it", "cancel_order", 0.91,
                          requested_slot="order_id")  # fmt: skip
    _, events = await run(ValidateTrackOrderForm(), sure)
    assert kinds(events) == ["action_execution_rejected"]  # the switch rules take it


async def test_a_new_question_ends_the_form_and_goes_to_the_rules(store: TelemetryStore) -> None:
    chat = Conversation(store)
    tracker = chat.form_turn(TRACK, "how do I reset my password", "recover_password", 0.93,
                             requested_slot="order_id")  # fmt: skip
    _, events = await run(ValidateTrackOrderForm(), tracker)
    assert kinds(events) == ["action_execution_rejected", "active_loop", "slot"]


async def test_an_order_named_earlier_is_offered_not_assumed(store: TelemetryStore) -> None:
    chat = Conversation(store)
    tracker = chat.form_turn(TRACK, "where is my order", "track_order", 0.95, first=True,
                             order_id="10004")  # from an earlier message's entity  # fmt: skip
    _, events = await run(ValidateTrackOrderForm(), tracker)
    assert slots(events) == {
        "order_id": None,
        "last_order_id": "10004",
        "requested_slot": "order_id",
    }
    asked, events = await run(
        AskOrderNumberTrackOrder(), chat.tracker("where is my order", "track_order",
                                                 last_order_id="10004")
    )  # fmt: skip
    assert asked[0]["text"] == "Is this about order #10004, or another one?"
    assert [b["payload"] for b in asked[0]["buttons"]] == ["/affirm", "/deny"]
    yes = chat.form_turn(TRACK, "/affirm", "affirm", 1.0, requested_slot="order_id",
                         offered_order="10004")  # fmt: skip
    messages, events = await run(ValidateTrackOrderForm(), yes)
    assert slots(events)["order_id"] == "10004"
    assert slots(events)["requested_slot"] == "customer_email"  # then its e-mail, for privacy
    assert messages[0]["text"] == "For your privacy, what's the e-mail address on order #10004?"


async def test_answers_forget_the_number_but_remember_the_order(store: TelemetryStore) -> None:
    chat = Conversation(store)
    _, events = await run(
        ActionTrackOrder(),
        chat.tracker("10004", "track_order", order_id="10004", unlocked_order="10004"),
    )
    assert slots(events)["order_id"] is None and slots(events)["last_order_id"] == "10004"


async def test_an_invoice_request_uses_the_number(store: TelemetryStore) -> None:
    chat = Conversation(store)
    entities = [{"entity": "order_id", "value": "10003"}]
    messages, _ = await run(
        ActionGetInvoice(),
        chat.tracker("can I get an invoice for 10003", "get_invoice", 0.9, entities),
    )  # no e-mail given yet: how to get it, and nothing about the order
    assert messages[0]["text"].startswith("To download an invoice")
    assert "once you've confirmed its e-mail address" in messages[0]["text"]
    assert "EUR" not in messages[0]["text"]
    messages, events = await run(
        ActionGetInvoice(),
        chat.tracker("invoice for 10003", "get_invoice", 0.9, entities, unlocked_order="10003"),
    )
    assert "invoice for order #10003" in messages[0]["text"]
    assert slots(events) == {"last_order_id": "10003"}
    messages, _ = await run(ActionGetInvoice(), chat.tracker("invoice please", "get_invoice"))
    assert messages[0]["text"].startswith("To download an invoice")


async def test_an_offer_made_by_another_question_is_never_taken_as_a_yes(
    store: TelemetryStore,
) -> None:
    chat = Conversation(store)
    # "how long does delivery take?" offered #10003; then "I haven't ordered yet" read as tracking
    tracker = chat.form_turn(TRACK, "I haven't ordered yet, just asking", "track_order", 0.7,
                             first=True, offered_order="10003", last_order_id="10003")  # fmt: skip
    _, events = await run(ValidateTrackOrderForm(), tracker)
    assert slots(events)["order_help"] == "pre_purchase" and slots(events)["order_id"] is None
    messages, _ = await run(
        ActionTrackOrder(),
        chat.tracker("x", "track_order", order_id=None, order_help="pre_purchase"),
    )
    assert messages[0]["text"].startswith("Within the EU and the UK, Standard delivery")
