"""What every action needs: the settings, the telemetry store, the shop backend, verification,
the survey file and the conversation id. All created on first use (rasa-sdk imports this package
and constructs every action without arguments, so nothing here may touch a file or a database at
import time).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker

from actions.backend import ShopBackend
from actions.demo_shop import backend_from_settings
from actions.settings import Settings
from actions.survey_config import SurveyConfig, load_survey_config
from actions.topics import CLARIFY_ACTION
from actions.verification import Chat, Verification
from cx_telemetry import Settings as TelemetrySettings
from cx_telemetry import TelemetryStore, best_effort

SUPPORT_INTENTS = frozenset(
    [
        "cancel_order",
        "change_order",
        "change_shipping_address",
        "check_cancellation_fee",
        "check_invoice",
        "check_payment_methods",
        "check_refund_policy",
        "complaint",
        "contact_customer_service",
        "contact_human_agent",
        "create_account",
        "delete_account",
        "delivery_options",
        "delivery_period",
        "edit_account",
        "get_invoice",
        "get_refund",
        "newsletter_subscription",
        "payment_issue",
        "place_order",
        "recover_password",
        "registration_problems",
        "review",
        "set_up_shipping_address",
        "switch_account",
        "track_order",
        "track_refund",
    ]
)
# How sure NLU must be that a message is a new question before it interrupts what the assistant
# asked (an order number, a confirmation, a survey answer). One figure everywhere, so a question
# never switches a form on one path and not on another.
NEW_QUESTION_CONFIDENCE = 0.6


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


@lru_cache(maxsize=1)
def telemetry() -> TelemetryStore:
    return TelemetryStore.from_settings(TelemetrySettings.from_env())


@lru_cache(maxsize=1)
def backend() -> ShopBackend:
    return backend_from_settings(settings())


@lru_cache(maxsize=1)
def verification() -> Verification:
    return Verification.from_settings(settings(), backend(), telemetry())


@lru_cache(maxsize=1)
def survey_config() -> SurveyConfig:
    return load_survey_config()


def reset_caches() -> None:
    """Forget the cached settings, store, backend, verification and survey file (tests switch
    settings between cases)."""
    for cached in (settings, telemetry, backend, verification, survey_config):
        cached.cache_clear()


def latest_metadata(tracker: Tracker) -> dict[str, Any]:
    """Metadata of the newest customer message that carried the gateway's conversation id."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            if metadata.get("conversation_id"):
                return dict(metadata)
    return {}


def channel_of(tracker: Tracker) -> str:
    metadata = latest_metadata(tracker)
    return str(metadata.get("channel") or tracker.get_latest_input_channel() or "rest")


def conversation_id(tracker: Tracker) -> str | None:
    """The telemetry conversation this turn belongs to.

    The gateway passes it in message metadata; without a gateway (REST, `rasa test`) the store
    opens or finds the customer's conversation by sender id. None only if the store refuses
    (a telemetry problem must never break the conversation).
    """
    metadata = latest_metadata(tracker)
    if metadata.get("conversation_id"):
        return str(metadata["conversation_id"])
    return best_effort(
        "open_conversation",
        telemetry().open_conversation,
        channel=channel_of(tracker),
        customer_id=tracker.sender_id,
    )


def chat_of(tracker: Tracker) -> Chat:
    """The chat as verification knows it: the engine's sender id and this turn's conversation."""
    return Chat(tracker.sender_id, conversation_id(tracker))


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def note_support_intent(tracker: Tracker, intent: str | None) -> None:
    """Records that the conversation asked for `intent` (feeds containment and survey rows)."""
    if intent not in SUPPORT_INTENTS:
        return
    cid = conversation_id(tracker)
    if cid is None:
        return
    best_effort("note_intent", telemetry().note_intent, cid, intent, support=True)
    if first_intent_after(tracker, CLARIFY_ACTION) == intent:  # picked from "Did you mean…?"
        best_effort("clarification_picked", telemetry().clarification_picked, cid, intent)


def first_intent_after(tracker: Tracker, action: str) -> str | None:
    """The intent of the customer's first message after the latest run of ``action``."""
    events = tracker.events
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") == "action" and events[i].get("name") == action:
            for later in events[i + 1 :]:
                if later.get("event") == "user":
                    name = ((later.get("parse_data") or {}).get("intent") or {}).get("name")
                    return str(name) if name else None
            return None
    return None
