"""Fine-tuning the encoder on intent examples: the training graph computes what the serving
encoder computes, the same data gives the same weights, and examples of one intent end up
closer to each other than to other intents (run in the engine's environment)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.nlu.engine_probe import run_probe

ROOT = Path(__file__).resolve().parents[2]
ENCODER_DIR = ROOT / ".venv-rasa" / "share" / "minilm-l6-v2"

PROBE = """
import json, sys
import numpy as np
import tensorflow as tf
sys.path.insert(0, sys.argv[1])
from nlu_components.encoder_tuning import TuningSettings, _tf_layer, fine_tune
from nlu_components.minilm import Bert, MiniLMEncoder, mean_pool

enc = MiniLMEncoder(sys.argv[2])
examples = {
    "track_refund": ["where is my refund", "still waiting for my money back",
                     "refund not received yet", "when do I get the refund you promised"],
    "delivery_period": ["when will my parcel arrive", "how long does shipping take",
                        "how many days until it gets here", "delivery time to Spain?"],
    "recover_password": ["forgot my password", "reset my pin please",
                         "I can't remember my login password", "lost my access key"],
}
texts = [t for ts in examples.values() for t in ts]
labels = [i for i, ts in examples.items() for _ in ts]
ids = [enc.tokenizer.ids(t) for t in texts]

# One layer in TF (training) against the same layer in numpy (serving).
hidden = enc.bert.token_vectors(ids[:1], layers=4).T[None]
w = {k[len("encoder.layer.4."):]: tf.constant(v) for k, v in enc.bert.weights.items()
     if k.startswith("encoder.layer.4.")}
tf_out = _tf_layer(tf, w, tf.constant(hidden), tf.zeros([1, 1, 1, hidden.shape[1]]), 12)
np_out = enc.bert.token_vectors(ids[:1], layers=5).T[None]

settings = TuningSettings(layers=1, steps=8, intents_per_batch=3, examples_per_intent=3,
                          learning_rate=1e-4)
first = fine_tune(enc.bert, ids, labels, settings)
second = fine_tune(enc.bert, ids, labels, settings)

def margin(bert):
    v = mean_pool(bert.token_vectors(ids), [len(i) for i in ids])
    sim = v @ v.T
    y = np.array([sorted(examples).index(label) for label in labels])
    same = np.equal.outer(y, y) & ~np.eye(len(texts), dtype=bool)
    other = ~np.equal.outer(y, y)
    return float(sim[same].mean() - sim[other].mean())

print(json.dumps({
    "layer_diff": float(np.abs(tf_out.numpy() - np_out).max()),
    "same_weights": all(np.array_equal(first[k], second[k]) for k in first),
    "changed": sorted({k.split(".")[2] for k in first
                       if not np.array_equal(first[k], enc.bert.weights[k])}),
    "before": margin(enc.bert),
    "after": margin(Bert(first, 12)),
}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    return run_probe(PROBE, "fine-tuning", encoder=ENCODER_DIR, timeout=600)


def test_the_training_graph_computes_what_the_serving_encoder_computes(
    probe: dict[str, Any],
) -> None:
    assert probe["layer_diff"] < 1e-4


def test_the_same_examples_and_seed_give_the_same_weights(probe: dict[str, Any]) -> None:
    assert probe["same_weights"] is True


def test_only_the_top_layer_is_tuned_and_it_pulls_each_intent_together(
    probe: dict[str, Any],
) -> None:
    assert probe["changed"] == ["5"]
    assert probe["after"] > probe["before"] + 0.02
