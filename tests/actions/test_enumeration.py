"""Enumeration (issue #13): one chat walking through the shop's order numbers, guessing e-mails,
learns nothing about any order, hears the same for orders that exist and orders that don't, and
is locked out after 5 wrong guesses; the limit is per chat and per order, and lifts after the
hour. Driven through the real form validation and answer actions, the seeded demo shop and the
verification tables, on a clock the test moves."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest

from actions import context
from actions.order_forms import (
    ValidateCancelOrderForm,
    ValidateDeliveryPeriodForm,
    ValidateTrackOrderForm,
    ValidateTrackRefundForm,
)
from actions.orders import ActionGetInvoice, ActionTrackOrder
from cx_telemetry import TelemetryStore

from .conftest import Conversation, mailed_codes, run
from .verification.conftest import ANA, BEN, T0, Clock

TRACK = "track_order_form"
EXISTING = [str(n) for n in range(10001, 10051)]
MISSING = [str(n) for n in range(10051, 10061)]
PERSON = {"title": "Talk to a person", "payload": "/contact_human_agent"}
NO_EMAIL = {"title": "I don't know it", "payload": "/deny"}
LOCKOUT = (
    "For your security I can't check any more e-mail addresses or codes in this chat for now: "
    "there were too many wrong tries. You can try again after 10:00 UTC (Mon 02 Mar), or "
    "someone from our team can help you right away."
)
STATUS_WORDS = ("processing", "shipped", "delivered", "cancelled", "refunded", "on its way")


@pytest.fixture
def clock(store: TelemetryStore, monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(T0)
    monkeypatch.setattr(context.verification(), "clock", clock)
    return clock


def walk_order() -> list[str]:
    """The numbers as the chat asks them: existing and missing ones mixed from the start."""
    mixed = [n for pair in zip(EXISTING, MISSING, strict=False) for n in pair]
    return mixed + EXISTING[len(MISSING) :]


def guess_for(n: int, number: str) -> str:
    """Made-up addresses, and now and then a real customer's (never the order's own)."""
    owner = context.backend().customer_of_order(number)
    real = BEN if owner is not None and owner.email == ANA else ANA
    return [f"guess{n}@example.com", real, f"Shopper.{n}@Mail.example"][n % 3]


async def ask(chat: Conversation, number: str) -> list[dict[str, Any]]:
    """'Where is order N?': the form's first turn, and the answer action when the form ended."""
    tracker = chat.form_turn(TRACK, f"where is my order {number}?", "track_order", 0.95,
                             [{"entity": "order_id", "value": number}], True)  # fmt: skip
    said, events = await run(ValidateTrackOrderForm(), tracker)
    chat.apply(events)
    return said + await answer_if_done(chat)


async def guess(chat: Conversation, email: str) -> list[dict[str, Any]]:
    """An e-mail typed while the form waits for the order's e-mail."""
    tracker = chat.form_turn(TRACK, f"it's {email}", "nlu_fallback", 0.4)
    said, events = await run(ValidateTrackOrderForm(), tracker)
    chat.apply(events)
    return said + await answer_if_done(chat)


async def answer_if_done(chat: Conversation) -> list[dict[str, Any]]:
    if chat.slots["requested_slot"] is not None:
        return []  # the form still waits: no answer yet
    said, _ = await run(ActionTrackOrder(), chat.tracker("x", "nlu_fallback"))
    return said


def shown(replies: list[dict[str, Any]], number: str) -> str:
    """What the customer saw, the order number blanked out."""
    seen = [{"text": r.get("text"), "buttons": r.get("buttons")} for r in replies]
    return json.dumps(seen).replace(number, "#####")


def dates(day: date | None) -> list[str]:
    if day is None:
        return []
    return [day.isoformat(), f"{day:%d %b}", f"{day.day} {day:%b}", f"{day:%B} {day.day}"]


def forbidden() -> list[str]:
    """Anything of the demo shop's orders 10001-10050: items, amounts, carrier, tracking
    number, payment method, dates, the owner's e-mail, name and phone."""
    shop, found = context.backend(), []
    for number in EXISTING:
        order, owner = shop.get_order(number), shop.customer_of_order(number)
        assert order is not None and owner is not None
        found += [*order.items, f"{order.total_cents / 100:.2f}", order.payment_method]
        found += [f"{cents / 100:.2f}" for cents in order.item_cents]
        found += [v for v in (order.carrier, order.tracking_number, owner.phone) if v]
        found += [owner.email, f"{owner.email[:1]}***@"]
        for day in (order.placed_on, order.estimated_delivery, order.delivered_on):
            found += dates(day)
    return sorted(set(found))


def leaks(replies: list[dict[str, Any]]) -> list[str]:
    text = json.dumps(replies)
    shop = context.backend()
    names = {shop.customer_of_order(n).first_name for n in EXISTING}  # type: ignore[union-attr]
    found = [value for value in forbidden() if value.lower() in text.lower()]
    found += [word for word in STATUS_WORDS if word in text.lower()]
    found += [name for name in names if re.search(rf"\b{re.escape(name)}\b", text)]
    return found


async def test_one_chat_walking_through_sixty_order_numbers_learns_nothing_and_is_locked_out(
    store: TelemetryStore, clock: Clock
) -> None:
    chat = Conversation(store)
    seen: dict[str, list[dict[str, Any]]] = {}
    for n, number in enumerate(walk_order()):
        replies = await ask(chat, number)
        if str(chat.slots["requested_slot"]) == "customer_email":
            replies += await guess(chat, guess_for(n, number))
        seen[number] = replies
        clock.advance(seconds=20)
    everything = [r for replies in seen.values() for r in replies]
    assert leaks(everything) == []
    assert mailed_codes() == []

    walk = walk_order()
    asked = [f"For your privacy, what's the e-mail address on order #{n}?" for n in walk[:5]]
    no_match = [
        f"I couldn't find order #{n} with that e-mail address. Please check the order number "
        "and the address in your confirmation e-mail, and type the address again."
        for n in walk[:4]
    ]
    # the first four guesses: the e-mail question, then "no match", for 10001 as for 10051
    assert [[r["text"] for r in seen[n]] for n in walk[:4]] == [
        [q, m] for q, m in zip(asked[:4], no_match, strict=True)
    ]
    assert len({shown(seen[n], n) for n in walk[:4]}) == 1
    assert seen[walk[0]][1]["buttons"] == [NO_EMAIL, PERSON]
    # the fifth wrong guess locks the chat out: when it lifts, and a person
    assert [r["text"] for r in seen[walk[4]]] == [asked[4], LOCKOUT]
    assert seen[walk[4]][1]["buttons"] == [PERSON]
    # every later look-up, of an order that exists or not: the lockout at once, no e-mail asked
    later = walk[5:]
    assert {n for n in MISSING if n in later} and {n for n in EXISTING if n in later}
    assert all(seen[n] == [seen[walk[4]][1]] for n in later), {
        n: seen[n] for n in later if seen[n] != [seen[walk[4]][1]]
    }
    assert chat.slots["order_id"] is None and chat.slots["unlocked_order"] is None

    # nor do the other order questions ask for an e-mail; the owner's e-mail typed with the
    # number changes nothing either
    for form, intent in (
        (ValidateCancelOrderForm(), "cancel_order"),
        (ValidateTrackRefundForm(), "track_refund"),
        (ValidateDeliveryPeriodForm(), "delivery_period"),
    ):
        said, events = await run(form, chat.form_turn(form.form, "10001", intent, 0.95,
                                 [{"entity": "order_id", "value": "10001"}], True))  # fmt: skip
        chat.apply(events)
        assert [r["text"] for r in said] == [LOCKOUT] and chat.slots["requested_slot"] is None
    tracker = chat.form_turn(TRACK, f"10002 {BEN}", "track_order", 0.95,
                             [{"entity": "order_id", "value": "10002"}], True)  # fmt: skip
    said, events = await run(ValidateTrackOrderForm(), tracker)
    chat.apply(events)
    assert [r["text"] for r in said] == [LOCKOUT] and chat.slots["unlocked_order"] is None

    # "an invoice for N?" answers the same for every number, and shows nothing of the order
    invoices = {}
    for number in walk:
        entities = [{"entity": "order_id", "value": number}]
        tracker = chat.tracker(f"invoice for {number}", "get_invoice", 0.95, entities)
        invoices[number] = (await run(ActionGetInvoice(), tracker))[0]
    assert len({shown(said, number) for number, said in invoices.items()}) == 1
    assert leaks([r for said in invoices.values() for r in said]) == []

    # an hour after the first wrong guess the chat may ask again, and its own order shows
    clock.now = T0 + timedelta(hours=1)
    assert [r["text"] for r in await ask(chat, "10002")] == [
        "For your privacy, what's the e-mail address on order #10002?"
    ]
    shown_order = await guess(chat, BEN)
    assert "#10002" in shown_order[0]["text"] and "on its way" in shown_order[0]["text"]
    assert leaks(shown_order)  # the check above would have caught an order's details


async def test_the_limit_is_per_chat_and_per_order_whether_the_order_exists_or_not(
    store: TelemetryStore, clock: Clock
) -> None:
    walker = Conversation(store)
    for n, number in enumerate(walk_order()[:5]):  # 10001, 10051, 10002, 10052, 10003
        await ask(walker, number)
        await guess(walker, guess_for(n, number))
    assert [r["text"] for r in await ask(walker, "10004")] == [LOCKOUT]

    # Ana's own chat is not locked by the walker's guesses (one of them on her order)
    ana = Conversation(store, "slack")
    assert "e-mail address on order #10001" in (await ask(ana, "10001"))[0]["text"]
    mine = await guess(ana, ANA)
    assert "#10001" in mine[0]["text"] and str(ana.slots["unlocked_order"]) == "10001"

    # five chats guessing one order lock that order for an hour, for every chat, its owner too;
    # an order that does not exist is locked the same way, so the lock tells nothing
    heard: dict[str, list[str]] = {"10010": [], "10058": []}
    for _ in range(5):
        for number in heard:
            guesser = Conversation(store)
            await ask(guesser, number)
            said = await guess(guesser, "someone@example.com")
            heard[number].append(shown(said, number))
        clock.advance(minutes=1)
    assert heard["10010"] == heard["10058"]
    assert ["couldn't find order" in h for h in heard["10010"]] == [True] * 4 + [False]
    assert "too many wrong tries" in heard["10010"][4]  # the fifth guess on the order
    owner = context.backend().customer_of_order("10010")
    assert owner is not None and owner.email not in (ANA, BEN)
    own = Conversation(store)
    locked = {number: await ask(own, number) for number in ("10010", "10058")}
    assert shown(locked["10010"], "10010") == shown(locked["10058"], "10058")
    assert [r["text"] for r in locked["10010"]] == [LOCKOUT]
    assert locked["10010"][0]["buttons"] == [PERSON]
    assert own.slots["requested_slot"] is None  # no e-mail asked for in vain
    # other orders are not locked for that chat
    assert "e-mail address on order #10017" in (await ask(own, "10017"))[0]["text"]
    assert "#10017" in (await guess(own, BEN))[0]["text"]

    # the order's lock lifts an hour after its first wrong guess; then its owner sees it
    clock.now = T0 + timedelta(hours=1)
    await ask(own, "10010")
    assert "#10010" in (await guess(own, owner.email))[0]["text"]


async def test_every_order_number_gets_the_same_question_and_the_same_no_match(
    store: TelemetryStore, clock: Clock
) -> None:
    """One guess per chat, so no limit is reached: the sixty numbers can be compared one by one."""
    seen = {}
    for n, number in enumerate(EXISTING + MISSING):
        chat = Conversation(store)
        seen[number] = shown(
            await ask(chat, number) + await guess(chat, guess_for(n, number)), number
        )
    assert len(set(seen.values())) == 1, set(seen.values())
    assert leaks([json.loads(v) for v in seen.values()]) == []


async def test_a_chat_typing_only_order_numbers_is_asked_each_ones_email_and_learns_nothing(
    store: TelemetryStore, clock: Clock
) -> None:
    """Number after number while the form waits for an e-mail (Rasa puts each in ``order_id``):
    each is a new question, never "that doesn't look like an e-mail", and no guess is spent."""
    chat = Conversation(store)
    seen = {}
    for number in walk_order():
        waiting = str(chat.slots["requested_slot"]) == "customer_email"
        tracker = chat.form_turn(TRACK, f"and {number}?", "track_order", 0.95,
                                 [{"entity": "order_id", "value": number}], not waiting)  # fmt: skip
        said, events = await run(ValidateTrackOrderForm(), tracker)
        chat.apply(events)
        seen[number] = said + await answer_if_done(chat)
    for number, said in seen.items():
        question = f"For your privacy, what's the e-mail address on order #{number}?"
        assert [(r["text"], r["buttons"]) for r in said] == [(question, [NO_EMAIL])]
    assert leaks([r for said in seen.values() for r in said]) == []
    assert context.verification().locked_until(context.chat_of(chat.tracker("x", "greet"))) is None
    owner = context.backend().customer_of_order("10050")
    assert owner is not None
    right = await guess(chat, owner.email)
    assert "#10050" in right[0]["text"]
