"""Deleting an account: in a chat verified for the account (a code mailed to its address,
``actions.identity``), what will happen is asked first (`delete_account_form`), and the request
is sent to the shop only after a Yes. The shop then e-mails the account a link that confirms it."""

from __future__ import annotations

import logging

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import identity
from actions.backend import BackendError
from actions.context import backend, latest_intent, note_support_intent
from actions.form_turns import REQUESTED_SLOT, activating, fresh_message, interruption
from actions.identity import CUSTOMER_EMAIL, VERIFICATION_CODE
from actions.order_answers import PERSON, Reply, yes_no
from actions.verification import VerificationError

logger = logging.getLogger(__name__)
FORM = "delete_account_form"
QUESTION = (
    "Delete your Brightcart account? Your personal data is erased within 30 days (we keep "
    "invoices as the law requires), open orders have to be completed or cancelled first, and "
    "it can't be undone."
)


class AskDeleteConfirmation(Action):
    def name(self) -> str:
        return f"action_ask_{FORM}_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            text=QUESTION, buttons=yes_no("Yes, delete my account", "No, keep it")
        )
        return []


class ValidateDeleteAccountForm(FormValidationAction):
    """A verified chat first (the account's e-mail, then the code mailed to it); then only a
    Yes counts: "no" and anything unclear keep the account."""

    def name(self) -> str:
        return f"validate_{FORM}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        step = tracker.get_slot(REQUESTED_SLOT)
        if activating(tracker):
            if await identity.linked_customer(tracker) is not None:
                return [SlotSet("confirmed", None), SlotSet(REQUESTED_SLOT, "confirmed")]
            try:
                locked = await identity.locked_until(tracker, None)
            except VerificationError:
                identity.say(dispatcher, (identity.UNAVAILABLE, [PERSON]))
                return _stop()
            if locked is not None:  # no e-mail asked for in vain
                identity.say(dispatcher, identity.lockout(locked))
                return _stop()
            identity.say(dispatcher, identity.email_question(None))
            return [SlotSet("confirmed", None), SlotSet(REQUESTED_SLOT, CUSTOMER_EMAIL)]
        if not fresh_message(tracker):
            return [SlotSet("confirmed", None), SlotSet(REQUESTED_SLOT, step or "confirmed")]
        if step == CUSTOMER_EMAIL:
            return await self.email(dispatcher, tracker)
        if step == VERIFICATION_CODE:
            return await self.code(dispatcher, tracker)
        intent, confidence = latest_intent(tracker)
        if intent in ("affirm", "delete_account"):
            return [SlotSet("confirmed", True), SlotSet(REQUESTED_SLOT, None)]
        if intent != "deny":
            turn = interruption(FORM, intent, confidence, frozenset({"contact_human_agent"}))
            if turn is not None:
                return turn
        return [SlotSet("confirmed", False), SlotSet(REQUESTED_SLOT, None)]

    async def email(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        typed = identity.typed_email(tracker)
        if typed is None:
            return self.not_given(dispatcher, tracker, identity.not_an_email(None))
        sent = await identity.send_code(dispatcher, tracker, typed, None)
        return sent if sent is not None else _stop()

    async def code(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        typed = identity.typed_code(tracker)
        if typed is None:
            email = tracker.get_slot(CUSTOMER_EMAIL)
            return self.not_given(dispatcher, tracker, identity.code_please(email))
        step, _ = await identity.check_code(dispatcher, tracker, typed, None)
        if step is identity.CodeStep.STOP:
            return _stop()
        if step is identity.CodeStep.AGAIN:
            return [SlotSet(VERIFICATION_CODE, None), SlotSet(REQUESTED_SLOT, VERIFICATION_CODE)]
        return [SlotSet(VERIFICATION_CODE, None), SlotSet(REQUESTED_SLOT, "confirmed")]

    @staticmethod
    def not_given(
        dispatcher: CollectingDispatcher, tracker: Tracker, again: Reply
    ) -> list[EventType]:
        intent, confidence = latest_intent(tracker)
        if intent == "deny":
            return [SlotSet("confirmed", False), SlotSet(REQUESTED_SLOT, None)]
        turn = interruption(FORM, intent, confidence, frozenset({"contact_human_agent"}))
        if turn is not None:
            return turn
        identity.say(dispatcher, again)
        return [
            SlotSet("confirmed", None),
            SlotSet(REQUESTED_SLOT, tracker.get_slot(REQUESTED_SLOT)),
        ]


def _stop() -> list[EventType]:
    """Locked out or unavailable, already said: the form ends and nothing is deleted."""
    return [SlotSet("confirmed", None), SlotSet(REQUESTED_SLOT, None)]


class ActionDeleteAccount(Action):
    def name(self) -> str:
        return "action_delete_account"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        note_support_intent(tracker, "delete_account")
        confirmed = tracker.get_slot("confirmed")
        customer = await identity.linked_customer(tracker) if confirmed else None
        if confirmed is None:  # verification stopped, and said why
            return []
        if customer is None:
            dispatcher.utter_message(text="Okay, your account stays as it is.")
            return [SlotSet("confirmed", None)]
        try:
            request = backend().request_account_deletion(customer.customer_id)
        except BackendError:
            logger.exception("account deletion request failed")
            dispatcher.utter_message(
                text="Sorry, I couldn't pass that on just now, so nothing has changed. Please "
                "try again in a few minutes, or talk to someone from our team.",
                buttons=[PERSON],
            )
            return [SlotSet("confirmed", None)]
        dispatcher.utter_message(
            text=f"Done: I've asked for your account to be deleted (reference "
            f"{request.reference}). We'll e-mail the address on your account a link to confirm "
            "it; the deletion starts once you click it."
        )
        return [SlotSet("confirmed", None)]
