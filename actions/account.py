"""Deleting an account: what will happen, asked first (`delete_account_form`), and the request
sent to the shop only after a Yes. The shop then e-mails the address on the account a link
that confirms it, so the chat itself never has to prove who the customer is."""

from __future__ import annotations

import logging

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendError
from actions.context import backend, latest_intent, note_support_intent
from actions.form_turns import REQUESTED_SLOT, activating, fresh_message, interruption
from actions.order_answers import PERSON, yes_no

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
    """Only a Yes counts; "no" and anything unclear keep the account."""

    def name(self) -> str:
        return f"validate_{FORM}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if activating(tracker) or not fresh_message(tracker):
            return [SlotSet("confirmed", None), SlotSet(REQUESTED_SLOT, "confirmed")]
        intent, confidence = latest_intent(tracker)
        if intent in ("affirm", "delete_account"):
            return [SlotSet("confirmed", True), SlotSet(REQUESTED_SLOT, None)]
        if intent != "deny":
            turn = interruption(FORM, intent, confidence, frozenset({"contact_human_agent"}))
            if turn is not None:
                return turn
        return [SlotSet("confirmed", False), SlotSet(REQUESTED_SLOT, None)]


class ActionDeleteAccount(Action):
    def name(self) -> str:
        return "action_delete_account"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        note_support_intent(tracker, "delete_account")
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(text="Okay, your account stays as it is.")
            return [SlotSet("confirmed", None)]
        try:
            request = backend().request_account_deletion(tracker.sender_id)
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
