"""Verified customers in the chat (issue #13): look-ups need the order's e-mail or a verified
chat, actions a code mailed to the address on file, guessing ends in a lockout; a verified chat
is greeted by name, gets its orders as buttons, and can be forgotten."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from actions import context
from actions.account import ActionDeleteAccount, ValidateDeleteAccountForm
from actions.customer import ActionForgetMe, ActionGreet, ActionMyOrders, AskVerificationCode
from actions.order_forms import ValidateCancelOrderForm, ValidateTrackOrderForm
from actions.order_questions import AskOrderNumberTrackOrder
from actions.orders import ActionCancelOrder, ActionTrackOrder
from contract import utcnow
from cx_telemetry import TelemetryStore

from .conftest import Conversation, mailed_codes, run

TRACK, CANCEL, DELETE = "track_order_form", "cancel_order_form", "delete_account_form"
ANA, BEN = "ana.lopez@example.com", "ben.okafor@example.com"
PERSON = {"title": "Talk to a person", "payload": "/contact_human_agent"}


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [str(m["text"]) for m in messages]


async def turn(
    chat: Conversation, action: Any, form: str, text: str, intent: str = "nlu_fallback",
    first: bool = False, order_id: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:  # fmt: skip
    """One message while ``form`` runs: (what the bot said, slots it set); the slots are kept."""
    entities = [{"entity": "order_id", "value": order_id}] if order_id else []
    tracker = chat.form_turn(form, text, intent, 0.4 if intent == "nlu_fallback" else 0.95,
                             entities, first)  # fmt: skip
    messages, events = await run(action, tracker)
    chat.apply(events)
    return messages, slots(events)


def status(order_id: str) -> str:
    order = context.backend().get_order(order_id)
    assert order is not None
    return order.status.value


async def test_a_look_up_needs_the_orders_email_and_a_wrong_one_looks_like_no_order(
    store: TelemetryStore,
) -> None:
    chat = Conversation(store)
    said, set_ = await turn(chat, ValidateTrackOrderForm(), TRACK, "where is my order 10002?",
                            "track_order", first=True, order_id="10002")  # fmt: skip
    assert texts(said) == ["For your privacy, what's the e-mail address on order #10002?"]
    assert set_["requested_slot"] == "customer_email"
    wrong, _ = await turn(chat, ValidateTrackOrderForm(), TRACK, ANA)

    other = Conversation(store)  # an order that does not exist, with a real customer's e-mail
    await turn(other, ValidateTrackOrderForm(), TRACK, "where is 99999", "track_order", True,
               "99999")  # fmt: skip
    missing, _ = await turn(other, ValidateTrackOrderForm(), TRACK, BEN)
    assert texts(wrong) == [texts(missing)[0].replace("99999", "10002")]
    assert wrong[0]["buttons"] == missing[0]["buttons"]
    assert "couldn't find order #10002 with that e-mail address" in texts(wrong)[0]

    right, set_ = await turn(chat, ValidateTrackOrderForm(), TRACK, f"it's {BEN.upper()}")
    assert right == [] and set_["requested_slot"] is None and set_["unlocked_order"] == "10002"
    answer, _ = await run(ActionTrackOrder(), chat.tracker("x", "nlu_fallback"))
    assert "#10002" in answer[0]["text"] and "on its way" in answer[0]["text"]
    assert mailed_codes() == []  # a look-up mails nothing


async def test_five_wrong_emails_lock_the_chat_out_with_the_time_and_a_person(
    store: TelemetryStore,
) -> None:
    chat = Conversation(store)
    said: list[dict[str, Any]] = []
    for n in range(10002, 10007):
        await turn(chat, ValidateTrackOrderForm(), TRACK, f"order {n}", "track_order", True,
                   str(n))  # fmt: skip
        said, set_ = await turn(chat, ValidateTrackOrderForm(), TRACK, "guess@example.com")
    assert "too many wrong tries" in texts(said)[0] and "UTC" in texts(said)[0]
    lifts = (utcnow() + timedelta(hours=1)).strftime("%H:")
    assert f"try again after {lifts}" in texts(said)[0]
    assert said[0]["buttons"] == [PERSON]
    assert set_["order_id"] is None and set_["requested_slot"] is None
    answer, _ = await run(ActionTrackOrder(), chat.tracker("x", "nlu_fallback"))
    assert answer == []  # the lockout said it all
    # the next order question gets the lockout at once, not an e-mail question asked in vain
    said, set_ = await turn(chat, ValidateTrackOrderForm(), TRACK, "10002", "track_order", True,
                            "10002")  # fmt: skip
    assert "too many wrong tries" in texts(said)[0] and set_["requested_slot"] is None


async def test_cancelling_asks_the_email_then_a_code_then_the_yes(store: TelemetryStore) -> None:
    chat = Conversation(store)
    said, _ = await turn(chat, ValidateCancelOrderForm(), CANCEL, "cancel order 10001",
                         "cancel_order", True, "10001")  # fmt: skip
    assert texts(said) == ["For your privacy, what's the e-mail address on order #10001?"]
    said, set_ = await turn(chat, ValidateCancelOrderForm(), CANCEL, ANA)
    assert texts(said)[0].startswith("I've sent a 6-digit code to a***@example.com.")
    assert set_["requested_slot"] == "verification_code"
    [(to, code)] = mailed_codes()
    assert to == ANA and status("10001") == "processing"

    # acting now, before the code, changes nothing
    early, _ = await run(ActionCancelOrder(), chat.tracker("yes", "affirm", confirmed=True))
    assert "haven't cancelled anything" in early[0]["text"] and status("10001") == "processing"

    wrong = "000000" if code != "000000" else "111111"
    said, set_ = await turn(chat, ValidateCancelOrderForm(), CANCEL, f"the code is {wrong}")
    assert texts(said)[0].startswith("That code isn't right.")
    assert set_["requested_slot"] == "verification_code"
    said, _ = await turn(chat, ValidateCancelOrderForm(), CANCEL, "where do I find it?")
    assert texts(said) == [
        "Please type the 6-digit code from the e-mail we sent to a***@example.com."
    ]
    said, set_ = await turn(chat, ValidateCancelOrderForm(), CANCEL, f"{code[:3]}-{code[3:]}")
    assert texts(said) == ["Thanks, Ana: that's you."] and set_["requested_slot"] == "confirmed"

    said, set_ = await turn(chat, ValidateCancelOrderForm(), CANCEL, "/affirm", "affirm")
    assert set_ == {"confirmed": True, "requested_slot": None}
    done, _ = await run(ActionCancelOrder(), chat.tracker("/affirm", "affirm"))
    assert done[0]["text"].startswith("Done: order #10001 is cancelled")
    assert status("10001") == "cancelled"


async def test_an_expired_code_is_replaced_by_a_new_one(
    store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Conversation(store)
    await turn(chat, ValidateCancelOrderForm(), CANCEL, "cancel 10001", "cancel_order", True,
               "10001")  # fmt: skip
    await turn(chat, ValidateCancelOrderForm(), CANCEL, ANA)
    [(_, old)] = mailed_codes()
    later = utcnow() + timedelta(minutes=11)
    monkeypatch.setattr(context.verification(), "clock", lambda: later)
    said, set_ = await turn(chat, ValidateCancelOrderForm(), CANCEL, old)
    assert texts(said)[0] == "That code has expired, so here's a new one."
    assert texts(said)[1].startswith("I've sent a 6-digit code to a***@example.com.")
    assert set_["requested_slot"] == "verification_code" and len(mailed_codes()) == 2
    said, set_ = await turn(chat, ValidateCancelOrderForm(), CANCEL, mailed_codes()[-1][1])
    assert texts(said) == ["Thanks, Ana: that's you."] and set_["requested_slot"] == "confirmed"


async def test_five_wrong_codes_lock_out_and_nothing_changes(store: TelemetryStore) -> None:
    chat = Conversation(store)
    await turn(chat, ValidateCancelOrderForm(), CANCEL, "cancel 10001", "cancel_order", True,
               "10001")  # fmt: skip
    await turn(chat, ValidateCancelOrderForm(), CANCEL, ANA)
    [(_, code)] = mailed_codes()
    wrong = [f"{n:06d}" for n in range(100000, 100010) if f"{n:06d}" != code][:5]
    for typed in wrong:
        said, set_ = await turn(chat, ValidateCancelOrderForm(), CANCEL, typed)
    assert "too many wrong tries" in texts(said)[0] and said[0]["buttons"] == [PERSON]
    assert set_["requested_slot"] is None
    done, _ = await run(ActionCancelOrder(), chat.tracker("x", "nlu_fallback"))
    assert done == [] and status("10001") == "processing"


async def test_a_verified_chat_is_greeted_by_name_offered_its_orders_and_can_log_out(
    store: TelemetryStore,
) -> None:
    chat = Conversation(store)
    hello, _ = await run(ActionGreet(), chat.tracker("hi", "greet"))
    assert hello[0]["text"].startswith("Hi! I'm the Brightcart assistant.")
    listed, _ = await run(ActionMyOrders(), chat.tracker("my orders", "my_orders"))
    assert "only list orders in a chat linked to your" in listed[0]["text"]

    chat.verify(ANA)
    hello, _ = await run(ActionGreet(), chat.tracker("hi", "greet"))
    assert hello[0]["text"].startswith("Hi Ana, good to see you!")
    orders = context.backend().orders_of_customer("C1001", limit=5)
    labels = [f"#{o.order_id} · {o.status.value}" for o in orders]
    asked, _ = await run(
        AskOrderNumberTrackOrder(), chat.tracker("where is my order", "track_order")
    )
    assert asked[0]["text"].startswith("Which order, Ana?")
    assert [b["title"] for b in asked[0]["buttons"]] == labels
    assert asked[0]["buttons"][0]["payload"] == (
        f'/track_order{{"order_id": "{orders[0].order_id}"}}'
    )
    listed, _ = await run(ActionMyOrders(), chat.tracker("my orders", "my_orders"))
    assert listed[0]["text"].startswith("Your latest orders:")
    assert all(label in listed[0]["text"] for label in labels)
    # a verified chat looks its own orders up without an e-mail
    said, set_ = await turn(chat, ValidateTrackOrderForm(), TRACK, "10001", "track_order", True,
                            "10001")  # fmt: skip
    assert said == [] and set_["requested_slot"] is None

    bye, events = await run(ActionForgetMe(), chat.tracker("log out", "forget_me"))
    assert bye[0]["text"].startswith("Done: this chat is no longer linked")
    assert slots(events)["unlocked_order"] is None
    hello, _ = await run(ActionGreet(), chat.tracker("hi", "greet"))
    assert hello[0]["text"].startswith("Hi! I'm")
    said, _ = await turn(chat, ValidateTrackOrderForm(), TRACK, "10001", "track_order", True,
                         "10001")  # fmt: skip
    assert texts(said) == ["For your privacy, what's the e-mail address on order #10001?"]
    again, _ = await run(ActionForgetMe(), chat.tracker("log out", "forget_me"))
    assert again[0]["text"].startswith("This chat isn't linked")


async def test_deleting_an_account_needs_a_code_sent_to_the_account(store: TelemetryStore) -> None:
    chat = Conversation(store)
    said, set_ = await turn(chat, ValidateDeleteAccountForm(), DELETE, "delete my account",
                            "delete_account", True)  # fmt: skip
    assert "e-mail address of your Brightcart account" in texts(said)[0]
    assert set_["requested_slot"] == "customer_email"
    said, set_ = await turn(chat, ValidateDeleteAccountForm(), DELETE, "nobody@example.com")
    unknown = texts(said)[0]
    assert unknown.startswith("If n***@example.com is the address of a Brightcart account")
    assert mailed_codes() == []  # nothing to send, and nothing said about it
    said, _ = await turn(chat, ValidateDeleteAccountForm(), DELETE, "123456")
    assert texts(said)[0].startswith("That code isn't right.")

    chat.slots["requested_slot"] = "customer_email"  # "let me give you the right address"
    said, _ = await turn(chat, ValidateDeleteAccountForm(), DELETE, BEN)
    assert texts(said)[0].startswith("If b***@example.com is the address of a Brightcart account")
    [(to, code)] = mailed_codes()
    assert to == BEN
    prompt, _ = await run(AskVerificationCode(), chat.tracker("x", "nlu_fallback"))
    assert texts(prompt) == [
        "Please type the 6-digit code from the e-mail we sent to b***@example.com."
    ]
    said, set_ = await turn(chat, ValidateDeleteAccountForm(), DELETE, code)
    assert texts(said) == ["Thanks, Ben: that's you."] and set_["requested_slot"] == "confirmed"
    await turn(chat, ValidateDeleteAccountForm(), DELETE, "yes", "affirm")
    done, _ = await run(ActionDeleteAccount(), chat.tracker("yes", "affirm"))
    assert "asked for your account to be deleted (reference DEL-" in done[0]["text"]
