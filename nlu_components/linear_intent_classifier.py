"""A linear intent classifier for Rasa 3 with TF-IDF-style scaling and tunable regularisation.

Modelled on rasa's ``LogisticRegressionClassifier``: it takes the sentence features of the
featurizers before it and rescales them per block before a multinomial logistic regression whose
strength ``C`` and ``class_weight`` are configurable: the sparse (count) block gets TF-IDF scaling
(optional idf weighting, sublinear term frequencies, l2 row normalisation), the dense block (a
sentence encoder's vector) l2 row normalisation times ``dense_weight``. Its probabilities are
those of the logistic regression, so ``FallbackClassifier`` thresholds keep their meaning
(confidences in 0..1, summing to 1).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
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

from nlu_components import serving

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
            # Extra weight per intent on top of class_weight, e.g. {out_of_scope: 3.0}: an
            # intent that covers a whole world of messages (out_of_scope) needs more than the
            # share "balanced" gives each intent to hold its ground against the shop intents.
            "intent_weights": {},
            # Feature scaling before the classifier (sklearn TfidfTransformer options).
            "use_idf": True,
            "sublinear_tf": True,
            "norm": "l2",
            # Weight of the dense sentence features (each row l2-normalised) against the
            # TF-IDF block (also l2-normalised).
            "dense_weight": 1.0,
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
        self.name = name
        self.config = {**self.get_default_config(), **config}
        # Built in train(), once the number of sparse and dense columns is known.
        self.clf: Any = None
        self._model_storage = model_storage
        self._resource = resource

    @staticmethod
    def _create_x(messages: list[Message]) -> tuple[csr_matrix, int]:
        """Sentence features, sparse columns first, then dense; and the number of sparse ones."""
        sparse_rows, dense_rows = [], []
        for message in messages:
            # Index 1 = sentence features (index 0 = sequence features).
            sparse = message.get_sparse_features(attribute=TEXT)[1]
            dense = message.get_dense_features(attribute=TEXT)[1]
            sparse_rows.append(csr_matrix(sparse.features if sparse else np.zeros((1, 0))))
            dense_rows.append(csr_matrix(dense.features if dense else np.zeros((1, 0))))
        sparse_x, dense_x = vstack(sparse_rows).tocsr(), vstack(dense_rows).tocsr()
        return hstack([sparse_x, dense_x]).tocsr(), sparse_x.shape[1]

    def _class_weight(self, labels: list[str]) -> Any:
        """class_weight for the logistic regression: the configured one, times intent_weights."""
        extra = {str(k): float(v) for k, v in (self.config.get("intent_weights") or {}).items()}
        base = self.config["class_weight"]
        if not extra:
            return base
        from sklearn.utils.class_weight import compute_class_weight

        classes = np.array(sorted(set(labels)))
        if base == "balanced":
            weights = compute_class_weight("balanced", classes=classes, y=np.array(labels))
        else:
            weights = np.ones(len(classes))
        return {
            str(c): float(w) * extra.get(str(c), 1.0) for c, w in zip(classes, weights, strict=True)
        }

    def _build(self, n_sparse: int, n_total: int, class_weight: Any = None) -> Any:
        """TF-IDF scaling for the (count) sparse columns, l2 for the dense ones, each block
        weighted, then the logistic regression."""
        from sklearn.compose import ColumnTransformer
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import Normalizer

        norm = self.config["norm"]
        # Columns as slices, not index lists: sklearn checks every index of a list on every
        # call, which cost ~45 ms per parsed message with ~100k count columns.
        blocks: list[tuple[str, Any, slice]] = []
        if n_sparse:
            tfidf = TfidfTransformer(
                use_idf=bool(self.config["use_idf"]),
                sublinear_tf=bool(self.config["sublinear_tf"]),
                norm=norm if norm in ("l1", "l2") else None,
            )
            blocks.append(("sparse", tfidf, slice(0, n_sparse)))
        if n_total > n_sparse:
            blocks.append(("dense", Normalizer(norm="l2"), slice(n_sparse, n_total)))
        scale = ColumnTransformer(
            blocks,
            sparse_threshold=1.0,
            transformer_weights={"dense": float(self.config["dense_weight"])},
        )
        lr = LogisticRegression(
            C=float(self.config["C"]),
            class_weight=class_weight if class_weight is not None else self.config["class_weight"],
            solver="lbfgs",
            max_iter=int(self.config["max_iter"]),
            tol=float(self.config["tol"]),
            random_state=self.config["random_state"],
        )
        return Pipeline([("scale", scale), ("lr", lr)])

    def train(self, training_data: TrainingData) -> Resource:
        """Train the intent classifier on a data set."""
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug(f"Cannot train '{self.__class__.__name__}': no intent examples.")
            return self._resource
        x, n_sparse = self._create_x(examples)
        labels = [str(e.get(INTENT)) for e in examples]
        self.clf = self._build(n_sparse, x.shape[1], self._class_weight(labels))
        self.clf.fit(x, labels)
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
        probas = self.clf.predict_proba(self._create_x(messages)[0])
        intents = self.clf.classes_
        for message, row in zip(messages, probas, strict=True):
            ranked = sorted(zip(intents, row, strict=True), key=lambda kv: -float(kv[1]))
            ranking = [{"name": str(k), "confidence": float(v)} for k, v in ranked]
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

        # The engine serving this model is about to run actions: validate their responses with
        # one compiled schema validator (nlu_components/serving.py).
        serving.install()
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
