"""The intent classifier's ``intent_weights``: more weight on out_of_scope moves a message that
sits between an off-topic cluster and a shop intent to out_of_scope, and leaves the balanced
weights of every other intent as they were (run in the engine's environment)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.nlu.engine_probe import run_probe

PROBE = """
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from nlu_components.linear_intent_classifier import LinearIntentClassifier

rng = np.random.default_rng(0)
def cluster(centre, n):
    return np.array(centre) + 0.35 * rng.standard_normal((n, 3))
x = np.vstack([cluster([1, 0, 0], 60), cluster([0, 1, 0], 20), cluster([0, 0, 1], 20)])
y = ["out_of_scope"] * 60 + ["track_order"] * 20 + ["get_refund"] * 20
between = np.array([[0.5, 0.5, 0.0]])

def fit(weights):
    c = LinearIntentClassifier.__new__(LinearIntentClassifier)
    c.config = {**LinearIntentClassifier.get_default_config(), "C": 1.0, "intent_weights": weights}
    class_weight = c._class_weight(y)
    clf = c._build(0, 3, class_weight)
    clf.fit(x, y)
    proba = dict(zip(clf.classes_, clf.predict_proba(between)[0]))
    return class_weight, {k: float(v) for k, v in proba.items()}

plain_weight, plain = fit({})
heavy_weight, heavy = fit({"out_of_scope": 4.0})
print(json.dumps({"plain_weight": plain_weight, "heavy_weight": heavy_weight,
                  "plain": plain, "heavy": heavy}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    return run_probe(PROBE, "the classifier")


def test_without_intent_weights_the_weights_are_balanced(probe: dict[str, Any]) -> None:
    assert probe["plain_weight"] == "balanced"


def test_out_of_scope_weight_multiplies_only_its_balanced_weight(probe: dict[str, Any]) -> None:
    weights = probe["heavy_weight"]
    # balanced: n / (classes * count) = 100 / (3 * 60) and 100 / (3 * 20)
    assert weights["out_of_scope"] == pytest.approx(4.0 * 100 / 180)
    assert weights["track_order"] == pytest.approx(100 / 60)
    assert weights["get_refund"] == pytest.approx(100 / 60)


def test_a_message_between_off_topic_and_a_shop_intent_goes_off_topic(
    probe: dict[str, Any],
) -> None:
    assert probe["heavy"]["out_of_scope"] > probe["plain"]["out_of_scope"] + 0.1
    assert max(probe["heavy"], key=probe["heavy"].get) == "out_of_scope"
