"""How every form of ours treats a message that is not the answer it asked for.

One decision, used by the order forms and the account form alike:
- a confident question the rules answer inside the form (a side question, "I don't have it",
  a person, another order question) rejects the form's turn, so those rules run;
- any other confident support question ends the form and goes to the rules as if no form had
  been asked ("hand back"): the customer moved on;
- anything else is the form's to handle (``None``).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, EventType, SlotSet

from actions.context import NEW_QUESTION_CONFIDENCE, SUPPORT_INTENTS
from actions.order_reading import ORDER_FORMS

REQUESTED_SLOT = "requested_slot"
# Intents data/rules/orders.yml answers while an order form waits (the form then goes on).
ANSWERED_IN_FORM = frozenset(
    {
        "deny",
        "contact_human_agent",
        "bot_challenge",
        "delivery_options",
        "check_refund_policy",
        "contact_customer_service",
        "check_payment_methods",
    }
)
# Besides support questions, these end a form: the customer is leaving.
LEAVING = frozenset({"goodbye", "thank_you"})


def interruption(
    form: str, intent: str | None, confidence: float, answered_in_form: frozenset[str]
) -> list[EventType] | None:
    """Events that hand the turn to the rules, or None when the form keeps the message."""
    if intent is None or confidence < NEW_QUESTION_CONFIDENCE:
        return None
    other_form = ORDER_FORMS.get(intent)
    if other_form == form:
        return None
    if other_form is not None or intent in answered_in_form:
        return [ActionExecutionRejected(form)]
    if intent in SUPPORT_INTENTS or intent in LEAVING:
        return hand_back(form)
    return None


def hand_back(form: str) -> list[EventType]:
    """End the form without its answer; the rules then treat the message as a new question."""
    return [ActionExecutionRejected(form), ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]


def fresh_message(tracker: Tracker) -> bool:
    """True when the form runs right after a customer message, False when it comes back after
    the rules answered a side question (the message is not its to read then)."""
    actions = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            break
        if kind == "action" and event.get("name") not in ("action_listen", "action_extract_slots"):
            actions += 1
    return actions <= 1  # the form's own execution, inserted by Rasa before its validation


def activating(tracker: Tracker) -> bool:
    """The form's first turn. Rasa marks the form active before its first validation, but it
    has asked for nothing yet (``requested_slot`` is set from the first question on)."""
    return tracker.get_slot(REQUESTED_SLOT) is None


def spoke_this_turn(tracker: Tracker) -> bool:
    """Whether the form's validation already said something this turn (it then asked its
    question itself, and the form's ask action stays silent: one prompt, not two)."""
    for event in reversed(tracker.events):
        kind: Any = event.get("event")
        if kind == "bot":
            return True
        if kind in ("user", "action"):
            return False
    return False


def entity_values(tracker: Tracker, name: str) -> list[str]:
    entities = tracker.latest_message.get("entities") or []
    return [str(e["value"]) for e in entities if e.get("entity") == name and e.get("value")]
