"""The order forms' proving steps (issue #13): the order's e-mail typed, then, before anything
changes, the code mailed to it. The form hands itself over as a ``ProvingForm``."""

from __future__ import annotations

import logging
from typing import Protocol

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import identity
from actions.backend import BackendError
from actions.context import chat_of, latest_intent, verification
from actions.form_turns import ANSWERED_IN_FORM, REQUESTED_SLOT, interruption
from actions.identity import CUSTOMER_EMAIL, VERIFICATION_CODE
from actions.order_answers import PERSON, Reply
from actions.order_reading import read_order_message
from actions.verification import LockedOut, VerificationError

logger = logging.getLogger(__name__)
MAX_REFUSALS = 2  # answers that are neither an e-mail nor a code before the form ends


class ProvingForm(Protocol):
    @property
    def form(self) -> str: ...

    async def accept(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        order_id: str,
        email: str | None = None,
    ) -> list[EventType]:
        """Take the order (``email``: its e-mail was just typed right)."""
        ...

    def after_proof(self, tracker: Tracker) -> list[EventType]:
        """The steps the order still needs once the chat is verified."""
        ...


def leave(reason: str) -> list[EventType]:
    """End the form without an order; the answer action helps another way."""
    return [
        SlotSet("order_id", None),
        SlotSet("offered_order", None),
        SlotSet("order_help", reason),
        SlotSet(REQUESTED_SLOT, None),
    ]


async def email_step(
    form: ProvingForm, dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType]:
    """The order's e-mail, typed: right, the order is taken; wrong (or no such order), the
    same answer either way, until the lockout."""
    order_id = str(tracker.get_slot("order_id") or "")
    numbers = read_order_message("", tracker.latest_message.get("entities") or [])
    typed = identity.typed_email(tracker)
    if numbers.order_id and (numbers.order_id != order_id or typed is None):
        # a number alone is a new question (Rasa has already put it in ``order_id``)
        return await form.accept(dispatcher, tracker, numbers.order_id)
    if typed is None:
        return not_given(form, dispatcher, tracker, identity.not_an_email(order_id))
    try:
        check = await identity.blocking(
            verification().check_order_email, chat_of(tracker), order_id, typed
        )
    except LockedOut as locked:
        identity.say(dispatcher, identity.lockout(locked.until))
        return leave("unverified")
    except (VerificationError, BackendError):
        logger.exception("order e-mail not checked for %s", order_id)
        identity.say(dispatcher, (identity.UNAVAILABLE, [PERSON]))
        return leave("unverified")
    if check.order is None:
        if check.locked_until is not None:
            identity.say(dispatcher, identity.lockout(check.locked_until))
            return leave("unverified")
        identity.say(dispatcher, identity.no_match(order_id))
        return [SlotSet(CUSTOMER_EMAIL, None), SlotSet(REQUESTED_SLOT, CUSTOMER_EMAIL)]
    return await form.accept(dispatcher, tracker, order_id, email=typed)


async def code_step(
    form: ProvingForm, dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType]:
    """The mailed code, typed: right, the chat is verified and the form goes on to the Yes."""
    order_id = str(tracker.get_slot("order_id") or "")
    numbers = read_order_message("", tracker.latest_message.get("entities") or [])
    if numbers.order_id and numbers.order_id != order_id:
        return await form.accept(dispatcher, tracker, numbers.order_id)
    typed = identity.typed_code(tracker)
    if typed is None:
        email = tracker.get_slot(CUSTOMER_EMAIL)
        return not_given(form, dispatcher, tracker, identity.code_please(email))
    step, customer = await identity.check_code(dispatcher, tracker, typed, order_id)
    if step is identity.CodeStep.STOP:
        return leave("unverified")
    if step is identity.CodeStep.AGAIN or customer is None:
        return [SlotSet(VERIFICATION_CODE, None), SlotSet(REQUESTED_SLOT, VERIFICATION_CODE)]
    return form.after_proof(tracker)


def not_given(
    form: ProvingForm, dispatcher: CollectingDispatcher, tracker: Tracker, again: Reply
) -> list[EventType]:
    """Neither an e-mail nor a code: a question goes to the rules, "no" ends the form, and
    anything else is asked once more (then the form ends)."""
    intent, confidence = latest_intent(tracker)
    turn = interruption(form.form, intent, confidence, ANSWERED_IN_FORM - {"deny"})
    if turn is not None:
        return turn
    attempts = int(tracker.get_slot("order_attempts") or 0) + 1
    if intent == "deny" or attempts > MAX_REFUSALS:
        return leave("no_proof")
    identity.say(dispatcher, again)
    return [
        SlotSet("order_attempts", attempts),
        SlotSet(REQUESTED_SLOT, tracker.get_slot(REQUESTED_SLOT)),
    ]
