"""What the assistant does once an order form is done: answer about the order (from the shop
backend, never from a guess), act on it after the customer's Yes, or, when the form ended
without a number, help another way. The wording is in ``actions.order_answers``."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import identity
from actions import order_answers as answers
from actions.backend import BackendError, Order, ShopBackend
from actions.context import backend, note_support_intent
from actions.identity import Access
from actions.order_answers import PERSON, Reply, day, money, order_button
from actions.order_reading import read_order_message
from actions.verification import VerificationError

logger = logging.getLogger(__name__)

OUTAGE = (
    "Sorry, I can't reach our order system right now. Please try again in a few minutes, "
    "or talk to someone from our team."
)
# What an order dialogue leaves behind; the order itself is remembered as `last_order_id`, so the
# next question about "my order" can ask whether it is the same one.
DIALOGUE_SLOTS = (
    "order_id",
    "offered_order",
    "order_attempts",
    "order_help",
    "confirmed",
    identity.VERIFICATION_CODE,
)


def finished(order_id: str | None) -> list[EventType]:
    """Slots after an order dialogue: scratch state cleared, the order remembered."""
    events: list[EventType] = [SlotSet(name, None) for name in DIALOGUE_SLOTS]
    events.append(SlotSet("return_items", None))
    if order_id:
        events.append(SlotSet("last_order_id", order_id))
    return events


def say(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    text, buttons = reply
    if text:
        dispatcher.utter_message(text=text, buttons=buttons or None)


class _OrderAnswer(Action, ABC):
    """Runs after an order form. Abstract, so rasa-sdk registers only the concrete answers."""

    intent: str = ""

    @abstractmethod
    def answer(self, order: Order, shop: ShopBackend, tracker: Tracker, acting: bool) -> Reply:
        """``acting``: the customer said Yes in a chat verified for the order's owner."""

    def name(self) -> str:
        return f"action_{self.intent}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        note_support_intent(tracker, self.intent)
        order_id = tracker.get_slot("order_id")
        if not order_id:
            say(dispatcher, answers.without_an_order(self.intent, tracker.get_slot("order_help")))
            return finished(None)
        shop = backend()
        try:
            allowed = await identity.access(tracker, order_id)
            if allowed is Access.NONE:  # the form checks first; a stray slot shows nothing
                say(dispatcher, answers.without_an_order(self.intent, "no_proof"))
                return finished(None)
            acting = bool(tracker.get_slot("confirmed")) and allowed is Access.OWNER
            order = shop.get_order(order_id)
            if order is None:
                dispatcher.utter_message(
                    text="I couldn't find that order. Please check the number "
                    "in your confirmation e-mail."
                )
                return finished(None)
            reply = self.answer(order, shop, tracker, acting)
        except (BackendError, VerificationError):
            logger.exception("backend failed answering %s for order %s", self.intent, order_id)
            dispatcher.utter_message(text=OUTAGE, buttons=[PERSON])
            return finished(order_id)
        say(dispatcher, reply)
        return finished(order_id)


class ActionTrackOrder(_OrderAnswer):
    intent = "track_order"

    def answer(self, order: Order, shop: ShopBackend, tracker: Tracker, acting: bool) -> Reply:
        return answers.track(order, shop)


class ActionCancelOrder(_OrderAnswer):
    intent = "cancel_order"

    def answer(self, order: Order, shop: ShopBackend, tracker: Tracker, acting: bool) -> Reply:
        return answers.cancel(order, shop, acting)


class ActionChangeOrder(_OrderAnswer):
    intent = "change_order"

    def answer(self, order: Order, shop: ShopBackend, tracker: Tracker, acting: bool) -> Reply:
        return answers.change(order, shop)


class ActionDeliveryPeriod(_OrderAnswer):
    intent = "delivery_period"

    def answer(self, order: Order, shop: ShopBackend, tracker: Tracker, acting: bool) -> Reply:
        return answers.delivery_date(order, shop)


class ActionGetRefund(_OrderAnswer):
    intent = "get_refund"

    def answer(self, order: Order, shop: ShopBackend, tracker: Tracker, acting: bool) -> Reply:
        items = tuple(tracker.get_slot("return_items") or ())
        return answers.get_refund(order, shop, acting, items)


class ActionTrackRefund(_OrderAnswer):
    intent = "track_refund"

    def answer(self, order: Order, shop: ShopBackend, tracker: Tracker, acting: bool) -> Reply:
        return answers.track_refund(order, shop)


class ActionGetInvoice(Action):
    """ "Can I get an invoice for 10003": the invoice of that order; without a number, how to
    download any invoice."""

    def name(self) -> str:
        return "action_get_invoice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        message = tracker.latest_message
        reading = read_order_message("", message.get("entities") or [])
        order = None
        if reading.order_id:
            try:
                if await identity.access(tracker, reading.order_id) is not Access.NONE:
                    order = backend().get_order(reading.order_id)
            except (BackendError, VerificationError):
                logger.exception("backend failed looking up %s for an invoice", reading.order_id)
        if order is not None:
            say(dispatcher, invoice(order))
            return [SlotSet("last_order_id", order.order_id)]
        general = (
            'To download an invoice, open Account > Orders & invoices and tap "Download PDF" '
            "next to the order. Need it with a company name or VAT number? Add them under "
            "Account > Billing details first, then download it again."
        )
        if reading.order_id:  # the same whether the order exists or not
            dispatcher.utter_message(
                text=general + f" For your privacy I show the details of order "
                f"#{reading.order_id} here once you've confirmed its e-mail address.",
                buttons=[order_button("Confirm my e-mail", "track_order", reading.order_id)],
            )
            return []
        dispatcher.utter_message(text=general)
        return []


def invoice(order: Order) -> Reply:
    return (
        f"The invoice for order #{order.order_id} ({money(order.total_cents, order.currency)}, "
        f'placed {day(order.placed_on)}) is under Account > Orders & invoices: tap "Download '
        f'PDF" next to order #{order.order_id}. Need a company name or VAT number on it? Add '
        "them under Account > Billing details first, then download it again.",
        [],
    )
