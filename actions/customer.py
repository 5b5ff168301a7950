"""What a verified chat makes possible (issue #13): the greeting by first name, "my orders",
and "forget me on this chat" (log out); and the questions of the proving steps when a form
comes back to them after a side question (`action_ask_customer_email`,
`action_ask_verification_code`)."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import identity
from actions.backend import BackendError, Customer, Order
from actions.context import backend, chat_of, verification
from actions.form_turns import spoke_this_turn
from actions.identity import CUSTOMER_EMAIL, UNLOCKED_ORDER, VERIFICATION_CODE
from actions.order_answers import PERSON, Button, day, order_button
from actions.verification import VerificationError

logger = logging.getLogger(__name__)
RECENT = 5  # orders offered as buttons
GREETING = (
    "I'm the Brightcart assistant. I can help with orders, delivery, returns and refunds, "
    "invoices, payments and your account. What can I do for you?"
)
TRACK: Button = {"title": "Track an order", "payload": "/track_order"}
REFUND: Button = {"title": "Get a refund", "payload": "/get_refund"}
MY_ORDERS: Button = {"title": "My orders", "payload": "/my_orders"}


def order_label(order: Order) -> str:
    """``#10002 · shipped``: an order on a button."""
    return f"#{order.order_id} · {order.status.value}"


def recent_orders(customer: Customer) -> list[Order]:
    try:
        return backend().orders_of_customer(customer.customer_id, limit=RECENT)
    except BackendError:
        logger.exception("orders of a verified customer not read")
        return []


def order_buttons(orders: list[Order], intent: str) -> list[Button]:
    return [order_button(order_label(o), intent, o.order_id) for o in orders]


class ActionGreet(Action):
    """Hi; by first name in a chat verified for a customer."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer = await identity.linked_customer(tracker)
        if customer is None:
            dispatcher.utter_message(text=f"Hi! {GREETING}", buttons=[TRACK, REFUND, PERSON])
        else:
            dispatcher.utter_message(
                text=f"Hi {customer.first_name}, good to see you! {GREETING}",
                buttons=[MY_ORDERS, REFUND, PERSON],
            )
        return []


class ActionMyOrders(Action):
    """ "My orders": a verified customer's recent orders, each a button that tracks it."""

    def name(self) -> str:
        return "action_my_orders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer = await identity.linked_customer(tracker)
        if customer is None:
            dispatcher.utter_message(
                text="For your privacy I can only list orders in a chat linked to your "
                "Brightcart account. It's linked once you type a code we e-mail you, for example "
                "when you cancel or return an order. Meanwhile, send me an order number and I'll "
                "check it with the order's e-mail address.",
                buttons=[TRACK, PERSON],
            )
            return []
        orders = await identity.blocking(recent_orders, customer)
        if not orders:
            dispatcher.utter_message(text=f"{customer.first_name}, I can't find any orders yet.")
            return []
        lines = [
            f"{order_label(o)} · placed {day(o.placed_on)} · {', '.join(o.items)}" for o in orders
        ]
        dispatcher.utter_message(
            text="Your latest orders:\n" + "\n".join(lines) + "\nTap one to see where it is.",
            buttons=order_buttons(orders, "track_order"),
        )
        return []


class ActionForgetMe(Action):
    """ "Forget me on this chat" / "log out": the chat's link to the customer ends at once."""

    def name(self) -> str:
        return "action_forget_me"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        cleared: list[EventType] = [
            SlotSet(name, None)
            for name in (UNLOCKED_ORDER, CUSTOMER_EMAIL, "last_order_id", "order_id")
        ]
        try:
            had_link = await identity.blocking(verification().unlink, chat_of(tracker))
        except VerificationError:
            logger.exception("chat %s not unlinked", tracker.sender_id[:12])
            dispatcher.utter_message(text=identity.UNAVAILABLE, buttons=[PERSON])
            return cleared
        if had_link:
            dispatcher.utter_message(
                text="Done: this chat is no longer linked to your Brightcart account. Next time "
                "I'll ask for your e-mail address or a code again before showing your orders."
            )
        else:
            dispatcher.utter_message(
                text="This chat isn't linked to a Brightcart account, so there's nothing to "
                "forget. I've also dropped any order e-mail you gave me here."
            )
        return cleared


class AskCustomerEmail(Action):
    """The e-mail question again, after a side question (the validation asks it first)."""

    def name(self) -> str:
        return f"action_ask_{CUSTOMER_EMAIL}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not spoke_this_turn(tracker):
            order_id = tracker.get_slot("order_id")
            if (tracker.active_loop or {}).get("name") == "delete_account_form":
                order_id = None  # the account's e-mail, not an order's
            identity.say(dispatcher, identity.email_question(str(order_id) if order_id else None))
        return []


class AskVerificationCode(Action):
    def name(self) -> str:
        return f"action_ask_{VERIFICATION_CODE}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not spoke_this_turn(tracker):
            identity.say(dispatcher, identity.code_please(tracker.get_slot(CUSTOMER_EMAIL)))
        return []
