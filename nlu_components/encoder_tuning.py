"""Contrastive fine-tuning of the MiniLM encoder on our own intent examples (TensorFlow).

The pretrained encoder places sentences by general meaning; we want messages of one intent
close together and the intents apart, also for phrasings the examples do not contain. Each step
takes a batch of a few examples from each of several intents and lowers a supervised
contrastive loss over the batch's cosine similarities (every other example of the same intent is
a positive, everything else a negative): the multiple-negatives-ranking idea of
sentence-transformers with labels instead of pairs.

Only the top ``layers`` transformer layers are trained. The layers below keep their pretrained
weights, so their output is computed once, with the numpy encoder that also serves requests,
and each step runs just the top of the network: that keeps ``rasa train`` within minutes on
two cores. There is no dropout and every random choice comes from one seeded generator, so the
same data and settings give the same weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from nlu_components.minilm import Array, Bert, Weights


@dataclass(frozen=True)
class TuningSettings:
    layers: int = 2  # top transformer layers trained
    steps: int = 300
    intents_per_batch: int = 16
    examples_per_intent: int = 4
    learning_rate: float = 5e-5
    temperature: float = 0.05
    seed: int = 42


def _tf_layer(tf: Any, w: dict[str, Any], x: Any, bias: Any, heads: int) -> Any:
    """One BERT layer on [batch, length, width] with [out, in] weights (as in the checkpoint)."""

    def dense(h: Any, name: str) -> Any:
        return tf.matmul(h, w[name + ".weight"], transpose_b=True) + w[name + ".bias"]

    def norm(h: Any, name: str) -> Any:
        mean, var = tf.nn.moments(h, axes=[-1], keepdims=True)
        return (h - mean) * tf.math.rsqrt(var + 1e-12) * w[name + ".weight"] + w[name + ".bias"]

    batch, length, width = tf.shape(x)[0], tf.shape(x)[1], x.shape[-1]
    size = width // heads

    def split(h: Any) -> Any:
        return tf.transpose(tf.reshape(h, [batch, length, heads, size]), [0, 2, 1, 3])

    q, k, v = (split(dense(x, f"attention.self.{n}")) for n in ("query", "key", "value"))
    scores = tf.matmul(q, k, transpose_b=True) / float(np.sqrt(size)) + bias
    context = tf.matmul(tf.nn.softmax(scores, axis=-1), v)
    context = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch, length, width])
    x = norm(dense(context, "attention.output.dense") + x, "attention.output.LayerNorm")
    hidden = tf.nn.gelu(dense(x, "intermediate.dense"), approximate=False)
    return norm(dense(hidden, "output.dense") + x, "output.LayerNorm")


def _padded(hidden: Sequence[Array]) -> tuple[Array, Array]:
    """[n, width] token vectors per text -> [texts, longest, width] and a 0/1 mask."""
    length = max(h.shape[0] for h in hidden)
    out = np.zeros((len(hidden), length, hidden[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(hidden), length), dtype=np.float32)
    for row, h in enumerate(hidden):
        out[row, : h.shape[0]] = h
        mask[row, : h.shape[0]] = 1.0
    return out, mask


def _batches(labels: Sequence[str], settings: TuningSettings) -> list[npt.NDArray[np.int64]]:
    """Index batches of ``examples_per_intent`` examples from each of several intents."""
    rng = np.random.default_rng(settings.seed)
    by_intent: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_intent.setdefault(label, []).append(index)
    names = sorted(n for n, rows in by_intent.items() if len(rows) >= 2)
    per_batch = min(settings.intents_per_batch, len(names))
    batches = []
    for _ in range(settings.steps):
        chosen = rng.choice(len(names), size=per_batch, replace=False)
        rows: list[int] = []
        for i in chosen:
            pool = by_intent[names[i]]
            take = min(settings.examples_per_intent, len(pool))
            rows.extend(int(r) for r in rng.choice(pool, size=take, replace=False))
        batches.append(np.array(rows))
    return batches


def fine_tune(
    bert: Bert, token_ids: Sequence[Sequence[int]], labels: Sequence[str], settings: TuningSettings
) -> Weights:
    """The encoder's weights after contrastive training of its top layers on the examples."""
    import tensorflow as tf

    if len(set(labels)) < 2:
        return dict(bert.weights)
    first = bert.layers - settings.layers
    frozen = bert.token_vectors(token_ids, layers=first)  # [width, all tokens]
    spans = np.cumsum([0, *(len(t) for t in token_ids)])
    hidden = [frozen[:, b:e].T for b, e in zip(spans[:-1], spans[1:], strict=True)]

    names = [
        k[len(f"encoder.layer.{first}.") :]
        for k in bert.weights
        if k.startswith(f"encoder.layer.{first}.")
    ]
    variables = [
        {n: tf.Variable(bert.weights[f"encoder.layer.{i}.{n}"]) for n in names}
        for i in range(first, bert.layers)
    ]
    optimizer = tf.keras.optimizers.legacy.Adam(settings.learning_rate)
    trainable = [v for layer in variables for v in layer.values()]
    label_ids = {name: i for i, name in enumerate(sorted(set(labels)))}
    y_all = np.array([label_ids[label] for label in labels])

    @tf.function(reduce_retracing=True)  # type: ignore[untyped-decorator]  # TF is untyped
    def step(x: Any, mask: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            bias = (1.0 - mask[:, None, None, :]) * -1e4
            h = x
            for layer in variables:
                h = _tf_layer(tf, layer, h, bias, bert.heads)
            pooled = tf.reduce_sum(h * mask[:, :, None], 1) / tf.reduce_sum(mask, 1, True)
            z = tf.math.l2_normalize(pooled, axis=1)
            logits = tf.matmul(z, z, transpose_b=True) / settings.temperature
            eye = tf.eye(tf.shape(z)[0])
            logits -= eye * 1e9  # an example is not its own positive
            same = tf.cast(tf.equal(y[:, None], y[None, :]), tf.float32) * (1.0 - eye)
            log_prob = logits - tf.reduce_logsumexp(logits, axis=1, keepdims=True)
            per_row = tf.reduce_sum(same * log_prob, 1) / tf.maximum(tf.reduce_sum(same, 1), 1)
            loss = -tf.reduce_mean(per_row)
        grads = tape.gradient(loss, trainable)
        # autograph's zip takes no strict=; both lists come from ``trainable``
        optimizer.apply_gradients(zip(grads, trainable))  # noqa: B905
        return loss

    for rows in _batches(labels, settings):
        x, mask = _padded([hidden[r] for r in rows])
        step(tf.constant(x), tf.constant(mask), tf.constant(y_all[rows]))

    tuned = dict(bert.weights)
    for offset, layer in enumerate(variables):
        for n, var in layer.items():
            tuned[f"encoder.layer.{first + offset}.{n}"] = var.numpy()
    return tuned
