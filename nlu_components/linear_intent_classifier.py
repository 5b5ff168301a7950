"""A linear intent classifier for Rasa 3 with TF-IDF-style scaling and tunable regularisation.

Modelled on rasa's ``LogisticRegressionClassifier``: it takes the sparse (and dense) sentence
features of the featurizers before it, but rescales them (optional idf weighting, sublinear term
frequencies, l2 row normalisation) before a multinomial logistic regression whose strength ``C``
and ``class_weight`` are configurable. Its probabilities are those of the logistic regression, so
``FallbackClassifier`` thresholds keep their meaning (confidences in 0..1, summing to 1).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix, hstack, vstack

logger = logging.getLogger(__name__)

_SAFE_EXTRA_TYPES = {"scipy.sparse._csr.csr_matrix"}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """Logistic regression on TF-IDF-scaled sentence features."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Components that should be included in the pipeline before this component."""
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        """Any extra python dependencies required for this component to run."""
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config."""
        return {
            # Inverse regularisation strength of the logistic regression.
            "C": 30.0,
            # "balanced" or null.
            "class_weight": "balanced",
            # Feature scaling before the classifier (sklearn TfidfTransformer options).
            "use_idf": True,
            "sublinear_tf": True,
            "norm": "l2",
            "max_iter": 1000,
            "tol": 1e-4,
            "random_state": 42,
            RANKING_LENGTH: LABEL_RANKING_LENGTH,
        }

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        """Construct a new, untrained classifier."""
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        self.name = name
        self.config = {**self.get_default_config(), **config}
        norm = self.config["norm"]
        self.clf = Pipeline(
            [
                (
                    "scale",
                    TfidfTransformer(
                        use_idf=bool(self.config["use_idf"]),
                        sublinear_tf=bool(self.config["sublinear_tf"]),
                        norm=norm if norm in ("l1", "l2") else None,
                    ),
                ),
                (
                    "lr",
                    LogisticRegression(
                        C=float(self.config["C"]),
                        class_weight=self.config["class_weight"],
                        solver="lbfgs",
                        max_iter=int(self.config["max_iter"]),
                        tol=float(self.config["tol"]),
                        random_state=self.config["random_state"],
                    ),
                ),
            ]
        )
        self._model_storage = model_storage
        self._resource = resource

    @staticmethod
    def _create_x(messages: list[Message]) -> csr_matrix:
        rows = []
        for message in messages:
            # Index 1 = sentence features (index 0 = sequence features).
            sparse = message.get_sparse_features(attribute=TEXT)[1]
            dense = message.get_dense_features(attribute=TEXT)[1]
            rows.append(
                hstack(
                    [
                        csr_matrix(sparse.features if sparse else []),
                        csr_matrix(dense.features if dense else []),
                    ]
                )
            )
        # The scaler expects non-negative counts; the featurizers before it produce those.
        return vstack(rows).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        """Train the intent classifier on a data set."""
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug(f"Cannot train '{self.__class__.__name__}': no intent examples.")
            return self._resource
        self.clf.fit(self._create_x(examples), [e.get(INTENT) for e in examples])
        self.persist()
        return self._resource

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        """Creates a new untrained component."""
        return cls(config, execution_context.node_name, model_storage, resource)

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the most likely intent, its probability and the ranking on each message."""
        if not messages or not hasattr(self.clf, "classes_"):
            return messages
        probas = self.clf.predict_proba(self._create_x(messages))
        intents = self.clf.classes_
        for message, row in zip(messages, probas, strict=True):
            ranking = sorted(
                (
                    {"name": str(k), "confidence": float(v)}
                    for k, v in zip(intents, row, strict=True)
                ),
                key=lambda e: -e["confidence"],
            )
            message.set("intent", ranking[0], add_to_output=True)
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Process the training data."""
        self.process(training_data.training_examples)
        return training_data

    def persist(self) -> None:
        """Persist the fitted pipeline into the model storage."""
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self.clf, model_dir / f"{self._resource.name}.skops")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        """Loads the trained component."""
        import skops.io as sio

        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / f"{resource.name}.skops"
                untrusted = sio.get_untrusted_types(file=path)
                # TfidfTransformer keeps its idf weights as a scipy sparse matrix (plain data).
                unexpected = [t for t in untrusted if t not in _SAFE_EXTRA_TYPES]
                if unexpected:
                    raise ValueError(f"untrusted types in {path}: {unexpected}")
                component.clf = sio.load(path, trusted=untrusted)
        except ValueError as exc:
            logger.debug(f"Could not load {cls.__name__} ({exc}); using an untrained one.")
        return component

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Validates that the component is configured properly."""
        pass
