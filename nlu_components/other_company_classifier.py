"""Routes a message about another company's order, account or product to out_of_scope.

The intent classifier reads "cancel my Just Eat order" or "close my Revolut account please" as
our own cancel_order / delete_account and the order or account form starts. This component
runs after it (before the fallback classifier): when the message names another company
(nlu_components/other_companies.py: shops, marketplaces, banks, telcos, delivery, travel and
streaming services) and does not name Brightcart, the intent becomes out_of_scope with
``confidence`` (the "what I can do" answer). The ranking is kept: out_of_scope goes first and
the other intents share the rest in their old proportions, so the fallback's threshold and
ambiguity checks see a clear decision.

Questions about what we offer may name another company as an option ("do you accept
Revolut?", "FedEx or only the national post?", "reachable on WhatsApp?"); when the classifier
reads the message as one of ``keep_intents`` (payment methods, delivery options, contact
channels, signing up), it is left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from nlu_components.other_companies import names_us, other_companies

logger = logging.getLogger(__name__)

OUT_OF_SCOPE = "out_of_scope"


def reroute(
    ranking: list[dict[str, Any]], confidence: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """out_of_scope first with ``confidence``; the others share 1 - confidence as before."""
    others = [dict(r) for r in ranking if r.get(INTENT_NAME_KEY) != OUT_OF_SCOPE]
    total = sum(float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0) for r in others)
    for r in others:
        share = float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0) / total if total > 0 else 0.0
        r[PREDICTED_CONFIDENCE_KEY] = share * (1.0 - confidence)
    top = {INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: confidence}
    return top, [dict(top), *others]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OtherCompanyClassifier(GraphComponent):
    """Sets out_of_scope when a message is about another company and not Brightcart."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "confidence": 0.95,
            "keep_intents": [
                "check_payment_methods",
                "delivery_options",
                "contact_customer_service",
                "create_account",
            ],
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OtherCompanyClassifier:
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._process(message)
        return messages

    def _process(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = message.get(INTENT) or {}
        top = intent.get(INTENT_NAME_KEY)
        if top in (None, OUT_OF_SCOPE) or top in set(self.component_config["keep_intents"]):
            return
        names = other_companies(text)
        if not names or names_us(text):  # about_another_company, with the names kept for the log
            return
        confidence = float(self.component_config["confidence"])
        new_top, ranking = reroute(message.get(INTENT_RANKING_KEY) or [intent], confidence)
        logger.debug("%r names %s: %s -> out_of_scope", text, names, top)
        message.set(INTENT, new_top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
