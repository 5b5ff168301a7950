"""``FallbackClassifier`` that also stands back when out_of_scope is a close runner-up.

Messages about other companies ("delete my Snapchat account", "my Zara order hasn't shipped")
read like shop questions; the classifier then ranks a shop intent first and out_of_scope
second with a fair share of the probability. Measured on benchmarks/dev (README), every
off-topic message taken for a shop question had out_of_scope second with 0.02-0.30, while
right answers to support messages rarely carry out_of_scope above 0.2. So, besides the usual
threshold and ambiguity checks, a message falls back (``nlu_fallback``: the assistant offers
its likeliest topics, or says what it can do) when its top intent is not out_of_scope and
out_of_scope's confidence is at least ``out_of_scope_threshold``.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

OUT_OF_SCOPE = "out_of_scope"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OffTopicFallbackClassifier(FallbackClassifier):
    """Falls back on low confidence, on ambiguity, and on a strong out_of_scope runner-up."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **FallbackClassifier.get_default_config(),
            # None: behave exactly like FallbackClassifier.
            "out_of_scope_threshold": None,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OffTopicFallbackClassifier:
        return cls({**cls.get_default_config(), **config})

    def _should_fallback(self, message: Message) -> bool:
        if super()._should_fallback(message):
            return True
        return self.out_of_scope_runner_up(message)

    def out_of_scope_runner_up(self, message: Message) -> bool:
        """The top intent is a real one and out_of_scope is close enough behind it."""
        threshold = self.component_config.get("out_of_scope_threshold")
        top = (message.data.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if threshold is None or top in (OUT_OF_SCOPE, DEFAULT_NLU_FALLBACK_INTENT_NAME, None):
            return False
        confidence = next(
            (
                float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
                for r in message.data.get(INTENT_RANKING_KEY) or []
                if r.get(INTENT_NAME_KEY) == OUT_OF_SCOPE
            ),
            0.0,
        )
        return confidence >= float(threshold)
