"""The order number the six order forms ask for: how it is asked (`action_ask_<form>_order_id`)
and how it is checked (`validate_<form>`).

The questions are actions rather than `utter_ask_*` responses because Rasa's validator counts
responses used only inside forms as unused, and `rasa data validate --fail-on-warnings` gates CI.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendError, normalise_order_id
from actions.context import backend, latest_intent

logger = logging.getLogger(__name__)


QUESTIONS: dict[str, tuple[str, list[dict[str, str]]]] = {
    "track_order_form": (
        "Sure, I can check that. What's your order number? It's the 5-digit number in your "
        "confirmation e-mail, like 10234.",
        [],
    ),
    "cancel_order_form": (
        "I can help you cancel. Which order is it? Please send the 5-digit order number, "
        "like 10234.",
        [],
    ),
    "change_order_form": (
        "Let's see what can still be changed. What's the order number? (5 digits, like 10234)",
        [],
    ),
    "delivery_period_form": (
        "Standard delivery takes 2-4 working days and Express arrives the next working day. "
        "If you send me your order number, I'll check the expected date for your order.",
        [{"title": "I don't have an order yet", "payload": "/deny"}],
    ),
    "get_refund_form": (
        "I can start a refund for you. Which order is it about? Please send the 5-digit order "
        "number.",
        [],
    ),
    "track_refund_form": (
        "Let me look up your refund. What's the order number it belongs to?",
        [],
    ),
}
# How sure NLU must be that the customer moved to another order question mid-form.
SWITCH_CONFIDENCE = 0.6
NO_NUMBER = {"title": "I don't have it", "payload": "/deny"}


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
        text, buttons = QUESTIONS[self.form]
        dispatcher.utter_message(text=text, buttons=buttons or [NO_NUMBER])
        return []


class _OrderNumberValidation(FormValidationAction):
    """Accepts '#10234', 'ORD-10234' or '10234' for an order that exists.

    A number in the wrong shape or an unknown order is refused with a reason and asked again.
    If the order system is down the number is accepted as written, and the answer action
    explains the outage, so the customer is not asked for their number over and over.
    """

    @property
    @abstractmethod
    def form(self) -> str: ...

    def name(self) -> str:
        return f"validate_{self.form}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent, confidence = latest_intent(tracker)
        other = f"{intent}_form"
        if other in QUESTIONS and other != self.form and confidence >= SWITCH_CONFIDENCE:
            # "Actually, cancel order 10001": without this the number would answer the old
            # question. Rejecting hands the turn back to the rules, which start the new form.
            return [ActionExecutionRejected(self.form)]
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        return events

    def validate_order_id(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        candidates = slot_value if isinstance(slot_value, list) else [slot_value]
        order_ids = [oid for oid in (normalise_order_id(str(c)) for c in candidates if c) if oid]
        if not order_ids:
            dispatcher.utter_message(
                text="That doesn't look like an order number. Order numbers have 5 digits, "
                "like 10234; you'll find yours in the confirmation e-mail."
            )
            return {"order_id": None}
        order_id = order_ids[0]
        try:
            order = backend().get_order(order_id)
        except BackendError:
            logger.exception("order lookup failed while validating %s", order_id)
            return {"order_id": order_id}
        if order is None:
            dispatcher.utter_message(
                text=f"I can't find an order {order_id}. Could you check the number in your "
                "confirmation e-mail and send it again?"
            )
            return {"order_id": None}
        return {"order_id": order_id}


class ValidateTrackOrderForm(_OrderNumberValidation):
    form = "track_order_form"


class ValidateCancelOrderForm(_OrderNumberValidation):
    form = "cancel_order_form"


class ValidateChangeOrderForm(_OrderNumberValidation):
    form = "change_order_form"


class ValidateDeliveryPeriodForm(_OrderNumberValidation):
    form = "delivery_period_form"


class ValidateGetRefundForm(_OrderNumberValidation):
    form = "get_refund_form"


class ValidateTrackRefundForm(_OrderNumberValidation):
    form = "track_refund_form"


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
