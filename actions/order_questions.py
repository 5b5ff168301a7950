"""What the order forms ask (`action_ask_<form>_<slot>`): the order number (or whether an order
named earlier is the one), which items, and the Yes before anything changes.

The questions are actions rather than `utter_ask_*` responses because Rasa's validator counts
responses used only inside forms as unused, and `rasa data validate --fail-on-warnings` gates CI.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import identity
from actions import order_answers as answers
from actions.backend import BackendError, Order
from actions.context import backend
from actions.customer import order_buttons, recent_orders
from actions.form_turns import spoke_this_turn
from actions.order_answers import DELIVERY_GENERAL, PERSON, Reply, yes_no
from actions.order_forms import NO_NUMBER

logger = logging.getLogger(__name__)

QUESTIONS: dict[str, str] = {
    "track_order_form": "Sure, I can check that. What's your order number? It's the 5-digit "
    "number in your confirmation e-mail, like 10234.",
    "cancel_order_form": "I can help you cancel. Which order is it? Please send the 5-digit "
    "order number, like 10234.",
    "change_order_form": "Let's see what can still be changed. What's the order number? "
    "(5 digits, like 10234)",
    "delivery_period_form": DELIVERY_GENERAL + " If you send me your order number, I'll check "
    "the expected date for your order.",
    "get_refund_form": "I can help with a refund. Which order is it about? Please send the "
    "5-digit order number.",
    "track_refund_form": "Let me look up your refund. What's the order number it belongs to?",
}


def order_number_question(form: str, earlier: str | None) -> Reply:
    """The order number, or, when an order came up earlier in the chat, whether it is that one."""
    if earlier:
        lead = DELIVERY_GENERAL + " " if form == "delivery_period_form" else ""
        return (
            f"{lead}Is this about order #{earlier}, or another one?",
            yes_no(f"Yes, order #{earlier}", "Another order"),
        )
    if form == "delivery_period_form":
        return (QUESTIONS[form], [{"title": "I don't have an order yet", "payload": "/deny"}])
    return (QUESTIONS[form], [NO_NUMBER])


class _AskOrderNumber(Action, ABC):
    """Abstract, so rasa-sdk registers only the six concrete forms' questions."""

    @property
    @abstractmethod
    def form(self) -> str: ...

    def name(self) -> str:
        return f"action_ask_{self.form}_order_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if spoke_this_turn(tracker):
            return []  # the validation already asked, with the reason
        earlier = tracker.get_slot("last_order_id")
        customer = None if earlier else await identity.linked_customer(tracker)
        if customer is not None:  # a verified customer picks one of their orders
            orders = await identity.blocking(recent_orders, customer)
            if orders:
                intent = self.form.removesuffix("_form")
                dispatcher.utter_message(
                    text=f"Which order, {customer.first_name}? Here are your latest ones, or "
                    "send me another order number.",
                    buttons=order_buttons(orders, intent),
                )
                return []
        text, buttons = order_number_question(self.form, earlier)
        dispatcher.utter_message(text=text, buttons=buttons)
        return [SlotSet("offered_order", earlier)] if earlier else []


class _AskAboutTheOrder(Action, ABC):
    """A question about the order the form already has (items, the Yes)."""

    @abstractmethod
    def question(self, order: Order, tracker: Tracker) -> Reply: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order_id = str(tracker.get_slot("order_id") or "")
        try:
            order = backend().get_order(order_id) if order_id else None
        except BackendError:
            logger.exception("order lookup failed asking about %s", order_id)
            order = None
        if order is None:
            dispatcher.utter_message(
                text="Sorry, I can't reach our order system right now, so I haven't changed "
                "anything. Please try again in a few minutes, or talk to someone from our team.",
                buttons=[PERSON],
            )
            return []
        text, buttons = self.question(order, tracker)
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class AskCancelConfirmation(_AskAboutTheOrder):
    def name(self) -> str:
        return "action_ask_cancel_order_form_confirmed"

    def question(self, order: Order, tracker: Tracker) -> Reply:
        return answers.cancel_question(order)


class AskReturnItems(_AskAboutTheOrder):
    def name(self) -> str:
        return "action_ask_get_refund_form_return_items"

    def question(self, order: Order, tracker: Tracker) -> Reply:
        return answers.items_question(order)


class AskReturnConfirmation(_AskAboutTheOrder):
    def name(self) -> str:
        return "action_ask_get_refund_form_confirmed"

    def question(self, order: Order, tracker: Tracker) -> Reply:
        items = tuple(tracker.get_slot("return_items") or order.items)
        return answers.return_question(order, items)


class AskOrderNumberTrackOrder(_AskOrderNumber):
    form = "track_order_form"


class AskOrderNumberCancelOrder(_AskOrderNumber):
    form = "cancel_order_form"


class AskOrderNumberChangeOrder(_AskOrderNumber):
    form = "change_order_form"


class AskOrderNumberDeliveryPeriod(_AskOrderNumber):
    form = "delivery_period_form"


class AskOrderNumberGetRefund(_AskOrderNumber):
    form = "get_refund_form"


class AskOrderNumberTrackRefund(_AskOrderNumber):
    form = "track_refund_form"
