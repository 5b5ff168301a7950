"""How the six order forms read the customer's answers (`validate_<form>`).

A form first needs the order number, then, for what changes an order (cancelling, starting a
return), the items and a Yes. ``form_steps`` lists those steps in one place, so a step such as
identifying the customer fits in later without touching the rest. Every message a form gets is
read here, once:
- a valid number of a known order is taken; a mistyped or unknown one is refused with one
  prompt (never two messages asking the same); after two refusals in a row a person is offered;
- a number from earlier in the chat is never used silently: it is offered ("Is this about order
  #10004, or another one?") and taken on a Yes;
- "I haven't ordered yet" and anything that is neither a number nor a confident new question
  end the form; the answer action then helps without an order (``order_help`` says why);
- confident questions go to the rules (``actions.form_turns``);
- before the order is read, the customer proves it is theirs (``actions.identity``): the
  order's e-mail for a look-up, a mailed code as well before anything changes.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import identity, order_proof
from actions.backend import BackendError, Order, OrderStatus, ShopBackend
from actions.context import NEW_QUESTION_CONFIDENCE, backend, latest_intent
from actions.form_turns import (
    ANSWERED_IN_FORM,
    REQUESTED_SLOT,
    activating,
    entity_values,
    fresh_message,
    interruption,
)
from actions.identity import CUSTOMER_EMAIL, UNLOCKED_ORDER, VERIFICATION_CODE, Access
from actions.order_answers import PERSON, needs_a_return
from actions.order_reading import ORDER_FORMS, chosen_items, read_order_message
from actions.verification import VerificationError

logger = logging.getLogger(__name__)

NO_NUMBER = {"title": "I don't have it", "payload": "/deny"}
MAX_REFUSALS = 2  # invalid numbers in a row before a person is offered


def form_steps(form: str, order: Order, shop: ShopBackend) -> list[str]:
    """What the form still needs once it knows the order, in the order it asks."""
    if form == "cancel_order_form" and order.status is OrderStatus.PROCESSING:
        return ["confirmed"]
    if form == "get_refund_form" and needs_a_return(order, shop):
        return (["return_items"] if len(order.items) > 1 else []) + ["confirmed"]
    return []


class _OrderValidation(FormValidationAction, ABC):
    """Abstract, so rasa-sdk registers only the six concrete validations."""

    @property
    @abstractmethod
    def form(self) -> str: ...

    def name(self) -> str:
        return f"validate_{self.form}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        first = activating(tracker)
        step = None if first else tracker.get_slot(REQUESTED_SLOT)
        if not first and not fresh_message(tracker):
            return [SlotSet(REQUESTED_SLOT, step or "order_id")]  # back after a side question
        if step == "confirmed":
            return await self.confirmation(dispatcher, tracker)
        if step == "return_items":
            return self.items(dispatcher, tracker)
        if step == CUSTOMER_EMAIL:
            return await self.email(dispatcher, tracker)
        if step == VERIFICATION_CODE:
            return await self.code(dispatcher, tracker)
        return await self.order_number(dispatcher, tracker, first)

    # -- the order number ------------------------------------------------------------------
    async def order_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, first: bool
    ) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        reading = read_order_message(text, tracker.latest_message.get("entities") or [])
        intent, confidence = latest_intent(tracker)
        switching = ORDER_FORMS.get(intent or "", self.form) != self.form
        if switching and confidence >= NEW_QUESTION_CONFIDENCE and not first:
            return [ActionExecutionRejected(self.form)]  # "actually, cancel order 10001"
        if reading.order_id:
            return await self.accept(dispatcher, tracker, reading.order_id)
        if reading.pre_purchase:  # whatever NLU made of it: no order to look up
            return self.leave("pre_purchase")
        if reading.no_number and not first:  # "I can't find it", whatever NLU made of it
            return self.leave("no_number")
        offered = None if first else tracker.get_slot("offered_order")
        if offered and intent == "affirm":
            return await self.accept(dispatcher, tracker, str(offered))
        if offered and intent == "deny":  # "another order": ask for it plainly
            return [
                SlotSet("offered_order", None),
                SlotSet("last_order_id", None),
                SlotSet(REQUESTED_SLOT, "order_id"),
            ]
        if reading.malformed:
            return self.refuse(
                dispatcher,
                tracker,
                f'"{reading.malformed}" doesn\'t look like an order number: ours have 5 digits, '
                "like 10234, and you'll find yours in the confirmation e-mail. What's the number?",
            )
        if first:
            events: list[EventType] = [SlotSet(REQUESTED_SLOT, "order_id")]
            earlier = tracker.get_slot("order_id")
            if earlier:  # named earlier in the chat, not in this question: offer, don't assume
                events = [SlotSet("order_id", None), SlotSet("last_order_id", earlier), *events]
            return events
        turn = interruption(self.form, intent, confidence, ANSWERED_IN_FORM)
        return turn if turn is not None else self.leave("no_number")

    async def accept(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        order_id: str,
        email: str | None = None,
    ) -> list[EventType]:
        """Take ``order_id`` once the chat may see it (``email``: its e-mail was just typed
        right); ask for the order's e-mail first when not, whether the order exists or not."""
        try:
            allowed = await identity.access(tracker, order_id)
            locked = None
            if allowed is Access.NONE and email is None:  # no e-mail asked for in vain
                locked = await identity.locked_until(tracker, order_id)
        except (VerificationError, BackendError):
            logger.exception("could not tell whether the chat may see %s", order_id)
            identity.say(dispatcher, (identity.UNAVAILABLE, [PERSON]))
            return self.leave("unverified")
        if locked is not None:
            identity.say(dispatcher, identity.lockout(locked))
            return self.leave("unverified")
        if allowed is Access.NONE and email is None:
            identity.say(dispatcher, identity.email_question(order_id))
            return [
                SlotSet("order_id", order_id),
                SlotSet("offered_order", None),
                SlotSet("order_attempts", 0),
                SlotSet("confirmed", None),
                SlotSet(CUSTOMER_EMAIL, None),
                SlotSet(REQUESTED_SLOT, CUSTOMER_EMAIL),
            ]
        proved: list[EventType] = []
        if email is not None:
            proved = [SlotSet(UNLOCKED_ORDER, order_id), SlotSet(CUSTOMER_EMAIL, email)]
        shop = backend()
        try:
            order = shop.get_order(order_id)
            steps = form_steps(self.form, order, shop) if order else []
        except BackendError:  # accepted as written: the answer explains the outage
            logger.exception("order lookup failed while validating %s", order_id)
            return [SlotSet("order_id", order_id), SlotSet(REQUESTED_SLOT, None)]
        if order is None:
            return self.refuse(
                dispatcher,
                tracker,
                f"I can't find an order {order_id}. Could you check the number in your "
                "confirmation e-mail and send it again?",
            )
        events: list[EventType] = [
            *proved,
            SlotSet("order_id", order_id),
            SlotSet("offered_order", None),
            SlotSet("order_attempts", 0),
            SlotSet("confirmed", None),
            SlotSet("return_items", None if "return_items" in steps else list(order.items)),
        ]
        if steps and allowed is not Access.OWNER:  # it will change the order: a code first
            address = email or tracker.get_slot(CUSTOMER_EMAIL)
            sent = None
            if address:
                sent = await identity.send_code(dispatcher, tracker, str(address), order_id)
            if sent is None:
                return [*events, *self.leave("unverified")]
            return [*events, *sent]
        return [*events, SlotSet(REQUESTED_SLOT, steps[0] if steps else None)]

    # -- proving it is theirs (actions.order_proof) -------------------------------------------
    async def email(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        return await order_proof.email_step(self, dispatcher, tracker)

    async def code(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        return await order_proof.code_step(self, dispatcher, tracker)

    def after_proof(self, tracker: Tracker) -> list[EventType]:
        """The chat was just verified: the steps the order still needs (the items, the Yes)."""
        order = _order_of(tracker)
        steps = form_steps(self.form, order, backend()) if order else []
        items = list(order.items) if order and "return_items" not in steps else None
        return [
            SlotSet(VERIFICATION_CODE, None),
            SlotSet("order_attempts", 0),
            SlotSet("return_items", items),
            SlotSet(REQUESTED_SLOT, steps[0] if steps else None),
        ]

    def refuse(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str
    ) -> list[EventType]:
        attempts = int(tracker.get_slot("order_attempts") or 0) + 1
        if attempts > MAX_REFUSALS:
            return self.leave("not_found")
        dispatcher.utter_message(text=text, buttons=[NO_NUMBER])
        return [
            SlotSet("order_id", None),
            SlotSet("offered_order", None),
            SlotSet("order_attempts", attempts),
            SlotSet(REQUESTED_SLOT, "order_id"),
        ]

    leave = staticmethod(order_proof.leave)

    # -- which items (a return of an order with several) --------------------------------------
    def items(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        order = _order_of(tracker)
        if order is None:
            return self.leave("no_number")
        picked = entity_values(tracker, "item")
        text = picked[0] if picked else str(tracker.latest_message.get("text") or "")
        chosen = chosen_items(text, order.items)
        if chosen:
            return [SlotSet("return_items", list(chosen)), SlotSet(REQUESTED_SLOT, "confirmed")]
        intent, confidence = latest_intent(tracker)
        turn = interruption(self.form, intent, confidence, ANSWERED_IN_FORM - {"deny"})
        if turn is not None:
            return turn
        if intent == "deny":
            return [SlotSet("confirmed", False), SlotSet(REQUESTED_SLOT, None)]
        attempts = int(tracker.get_slot("order_attempts") or 0) + 1
        if attempts > MAX_REFUSALS:
            return [SlotSet("confirmed", False), SlotSet(REQUESTED_SLOT, None)]
        dispatcher.utter_message(text='Which items? Tap one, or "All of them".')
        return [SlotSet("order_attempts", attempts), SlotSet(REQUESTED_SLOT, "return_items")]

    # -- the Yes ---------------------------------------------------------------------------
    async def confirmation(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType]:
        """Only a Yes acts: "no", silence on the point and anything unclear keep the order as
        it is. A different order number starts over with that order."""
        intent, confidence = latest_intent(tracker)
        numbers = read_order_message("", tracker.latest_message.get("entities") or [])
        if numbers.order_id and numbers.order_id != tracker.get_slot("order_id"):
            return await self.accept(dispatcher, tracker, numbers.order_id)
        own = intent == self.form.removesuffix("_form")
        if intent == "affirm" or (own and confidence >= NEW_QUESTION_CONFIDENCE):
            return [SlotSet("confirmed", True), SlotSet(REQUESTED_SLOT, None)]
        if intent != "deny":
            turn = interruption(self.form, intent, confidence, ANSWERED_IN_FORM - {"deny"})
            if turn is not None:
                return turn
        return [SlotSet("confirmed", False), SlotSet(REQUESTED_SLOT, None)]


def _order_of(tracker: Tracker) -> Order | None:
    order_id = tracker.get_slot("order_id")
    if not order_id:
        return None
    try:
        return backend().get_order(str(order_id))
    except BackendError:
        logger.exception("order lookup failed for %s", order_id)
        return None


class ValidateTrackOrderForm(_OrderValidation):
    form = "track_order_form"


class ValidateCancelOrderForm(_OrderValidation):
    form = "cancel_order_form"


class ValidateChangeOrderForm(_OrderValidation):
    form = "change_order_form"


class ValidateDeliveryPeriodForm(_OrderValidation):
    form = "delivery_period_form"


class ValidateGetRefundForm(_OrderValidation):
    form = "get_refund_form"


class ValidateTrackRefundForm(_OrderValidation):
    form = "track_refund_form"
