"""Rasa featurizer: a dense sentence vector from the Universal Sentence Encoder Lite.

Adds one 512-dimensional, unit-length *sentence* feature per message text (no sequence
features; the intent classifier uses sentence features only). Training reads the encoder from
``encoder_dir`` (filled by ``make setup``) and copies it into the trained model, so a model
archive runs anywhere without that directory.
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
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.use_lite import SentenceEncoder, encoder_directory

DEFAULT_ENCODER_DIR = ".venv-rasa/share/use-lite-en"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Dense sentence features from a pretrained sentence encoder."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "encoder_dir": DEFAULT_ENCODER_DIR}

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
        encoder: SentenceEncoder | None = None,
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
    def encoder(self) -> SentenceEncoder:
        if self._encoder is None:
            self._encoder = SentenceEncoder(Path(self._config["encoder_dir"]))
        return self._encoder

    def train(self, training_data: TrainingData) -> Resource:
        """Nothing is learnt: the encoder's files go into the model so it is self-contained
        (copied, not loaded: the featurizing instance is the one ``load`` makes from them)."""
        source = encoder_directory(self._config["encoder_dir"])
        with self._model_storage.write_to(self._resource) as target:
            for path in source.iterdir():
                if path.is_file():
                    shutil.copy2(path, target / path.name)
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
            encoder = SentenceEncoder(directory)  # reads everything before the temp dir goes
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
