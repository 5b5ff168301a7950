"""Rasa featurizer: a dense sentence vector from the MiniLM encoder, tuned on our intents.

Adds one 384-dimensional, unit-length *sentence* feature per message text (no sequence
features; the intent classifier uses sentence features only). Training reads the pretrained
encoder from ``encoder_dir`` (filled by ``make setup``), fine-tunes its top layers on the intent
examples (``nlu_components/encoder_tuning.py``) and writes the tuned weights with the tokenizer
into the trained model, so a model archive runs anywhere without that directory and nothing is
downloaded at run time.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.encoder_tuning import TuningSettings, fine_tune
from nlu_components.minilm import (
    CONFIG,
    TOKENIZER,
    WEIGHTS,
    MiniLMEncoder,
    encoder_directory,
    write_safetensors,
)

DEFAULT_ENCODER_DIR = ".venv-rasa/share/minilm-l6-v2"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Dense sentence features from a sentence encoder fine-tuned on the intent examples."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        defaults = TuningSettings()
        return {
            **DenseFeaturizer.get_default_config(),
            "encoder_dir": DEFAULT_ENCODER_DIR,
            # Top transformer layers tuned on our examples (0: the pretrained encoder as is).
            "tune_layers": defaults.layers,
            "tune_steps": defaults.steps,
            "tune_intents_per_batch": defaults.intents_per_batch,
            "tune_examples_per_intent": defaults.examples_per_intent,
            "tune_learning_rate": defaults.learning_rate,
            "tune_temperature": defaults.temperature,
            "random_seed": defaults.seed,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["tensorflow"]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to validate beyond the directory, which is checked on first use."""

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        encoder: MiniLMEncoder | None = None,
    ) -> None:
        super().__init__(name, {**self.get_default_config(), **config})
        self._model_storage = model_storage
        self._resource = resource
        self._encoder = encoder

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(config, execution_context.node_name, model_storage, resource)

    @property
    def encoder(self) -> MiniLMEncoder:
        if self._encoder is None:
            self._encoder = MiniLMEncoder(Path(self._config["encoder_dir"]))
        return self._encoder

    def _settings(self) -> TuningSettings:
        c = self._config
        return TuningSettings(
            layers=int(c["tune_layers"]),
            steps=int(c["tune_steps"]),
            intents_per_batch=int(c["tune_intents_per_batch"]),
            examples_per_intent=int(c["tune_examples_per_intent"]),
            learning_rate=float(c["tune_learning_rate"]),
            temperature=float(c["tune_temperature"]),
            seed=int(c["random_seed"]),
        )

    def train(self, training_data: TrainingData) -> Resource:
        """Tune the pretrained encoder on the intent examples and store it in the model (the
        featurizing instance is the one ``load`` makes from what is stored here)."""
        source = encoder_directory(self._config["encoder_dir"])
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        settings = self._settings()
        with self._model_storage.write_to(self._resource) as target:
            for name in (TOKENIZER, CONFIG):
                shutil.copy2(source / name, target / name)
            if settings.layers <= 0 or not examples:
                shutil.copy2(source / WEIGHTS, target / WEIGHTS)
                return self._resource
            encoder = MiniLMEncoder(source)
            ids = [encoder.tokenizer.ids(str(e.get(TEXT))) for e in examples]
            labels = [str(e.get(INTENT)) for e in examples]
            write_safetensors(target / WEIGHTS, fine_tune(encoder.bert, ids, labels, settings))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceEncoderFeaturizer:
        with model_storage.read_from(resource) as directory:
            encoder = MiniLMEncoder(directory)  # reads everything before the temp dir goes
        return cls(config, execution_context.node_name, model_storage, resource, encoder)

    def _featurize(self, messages: list[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        if not todo:
            return
        vectors = self.encoder.encode([str(m.get(TEXT)) for m in todo])
        for message, vector in zip(todo, vectors, strict=True):
            self.add_features_to_message(
                sequence=None, sentence=np.expand_dims(vector, 0), attribute=TEXT, message=message
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages
