"""The all-MiniLM-L6-v2 sentence encoder, run with numpy.

A 6-layer BERT (384 wide, 12 heads) whose mean-pooled, l2-normalised token vectors are the
sentence vector, as sentence-transformers computes it. Weights come from a ``model.safetensors``
file (the published checkpoint fetched by ``scripts/fetch_minilm_encoder.py``, or the copy
fine-tuned on our intents by ``nlu_components/encoder_tuning.py``); the tokenizer is our own
WordPiece over ``tokenizer.json`` (``nlu_components/wordpiece.py``).

numpy rather than TensorFlow for inference: one customer message is a handful of small matrix
products, and numpy runs them with less overhead per call than a TF graph or eager ops.
"""

from __future__ import annotations

import functools
import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from nlu_components.wordpiece import WordPiece

WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
CONFIG = "config.json"
REQUIRED_FILES = (WEIGHTS, TOKENIZER, CONFIG)
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}

Array: TypeAlias = npt.NDArray[np.float32]
Weights: TypeAlias = dict[str, npt.NDArray[Any]]
SINGLE_THREADED_UP_TO = 4  # texts per call


@functools.cache
def _blas() -> ThreadpoolController:
    # Built once: it inspects the loaded libraries, which takes a few milliseconds.
    return ThreadpoolController()


def read_safetensors(path: Path) -> Weights:
    """Every tensor of a safetensors file (8-byte header length, JSON header, raw data)."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = memoryview(data)[8 + length :]
    tensors: Weights = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        begin, end = spec["data_offsets"]
        array = np.frombuffer(body[begin:end], dtype=_DTYPES[spec["dtype"]])
        tensors[name] = array.reshape(spec["shape"]).astype(
            np.float32 if spec["dtype"] == "F16" else array.dtype
        )
    return tensors


def write_safetensors(path: Path, tensors: Weights) -> None:
    """Write float32 tensors in the same format (used for the fine-tuned copy)."""
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        blob = np.ascontiguousarray(tensors[name], dtype=np.float32).tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(tensors[name].shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the format aligns the data to 8 bytes
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        for blob in blobs:
            fh.write(blob)


def encoder_directory(directory: Path | str) -> Path:
    """``directory`` if it holds an encoder, else FileNotFoundError saying what to run."""
    path = Path(directory)
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if missing:
        raise FileNotFoundError(
            f"sentence encoder not found in {path} (missing {', '.join(missing)}); run `make setup`"
        )
    return path


def _layer_norm(x: Array, gamma: Array, beta: Array) -> Array:
    """Layer norm over axis 0 (features are rows: see ``Bert``)."""
    mean = x.mean(0, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(0, keepdims=True)
    return np.asarray(centred / np.sqrt(var + 1e-12) * gamma + beta, dtype=np.float32)


def _gelu(x: Array) -> Array:
    # The checkpoint was trained with the exact (erf) GELU, which scipy (a Rasa dependency) has.
    from scipy.special import erf

    return np.asarray(0.5 * x * (1.0 + erf(x * np.float32(0.7071067811865476))), np.float32)


class Bert:
    """The BERT forward pass over the tokens of several texts at once.

    Activations are kept transposed, one column per token and the tokens of all texts side by
    side: every dense layer is then one ``W @ H`` over the whole batch with the checkpoint's own
    [out, in] weights (BLAS is about a third faster this way round for the few tokens of one
    message) and no padding; only attention looks at one text at a time.
    """

    def __init__(self, weights: Weights, heads: int) -> None:
        self.weights = weights
        self.heads = heads
        self.layers = 0
        while f"encoder.layer.{self.layers}.output.dense.weight" in weights:
            self.layers += 1
        col = {k: v[:, None] for k, v in weights.items() if v.ndim == 1}  # biases, norms
        self.w = {**weights, **col}
        for i in range(self.layers):  # query, key and value as one matrix product
            p = f"encoder.layer.{i}.attention.self."
            for part in ("weight", "bias"):
                self.w[p + "qkv." + part] = np.concatenate(
                    [self.w[f"{p}{n}.{part}"] for n in ("query", "key", "value")]
                )
        self.embeddings = weights["embeddings.word_embeddings.weight"]
        self.positions = weights["embeddings.position_embeddings.weight"]
        self.type0 = weights["embeddings.token_type_embeddings.weight"][0]

    def token_vectors(self, texts: Sequence[Sequence[int]], layers: int | None = None) -> Array:
        """Token ids of each text -> token vectors after ``layers`` layers (default: all),
        [width, all tokens]."""
        w = self.w
        ids = np.concatenate([np.asarray(t, dtype=np.int64) for t in texts])
        spans = np.cumsum([0] + [len(t) for t in texts])
        positions = np.concatenate([np.arange(len(t)) for t in texts])
        x = (self.embeddings[ids] + self.positions[positions] + self.type0).T
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        width = x.shape[0]
        size = width // self.heads
        scale = np.float32(1.0 / np.sqrt(size))
        for i in range(self.layers if layers is None else layers):
            p = f"encoder.layer.{i}."
            qkv = w[p + "attention.self.qkv.weight"] @ x + w[p + "attention.self.qkv.bias"]
            context = np.empty_like(x)
            for begin, end in zip(spans[:-1], spans[1:], strict=True):
                n = end - begin
                q, k, v = qkv[:, begin:end].reshape(3, self.heads, size, n)
                scores = (q.transpose(0, 2, 1) @ k) * scale  # [heads, n, n]
                scores = np.exp(scores - scores.max(-1, keepdims=True))
                scores /= scores.sum(-1, keepdims=True)
                context[:, begin:end] = (v @ scores.transpose(0, 2, 1)).reshape(width, n)
            attended = w[p + "attention.output.dense.weight"] @ context
            x = _layer_norm(
                attended + w[p + "attention.output.dense.bias"] + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            hidden = _gelu(
                w[p + "intermediate.dense.weight"] @ x + w[p + "intermediate.dense.bias"]
            )
            x = _layer_norm(
                w[p + "output.dense.weight"] @ hidden + w[p + "output.dense.bias"] + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        return x


def mean_pool(vectors: Array, lengths: Sequence[int]) -> Array:
    """Mean of each text's token vectors, l2-normalised (sentence-transformers' pooling)."""
    spans = np.cumsum([0, *lengths])
    pooled = np.stack([vectors[:, b:e].mean(1) for b, e in zip(spans[:-1], spans[1:], strict=True)])
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return np.asarray(pooled / norms, dtype=np.float32)


class MiniLMEncoder:
    """Encodes texts into unit 384-dimensional vectors. Loading takes well under a second."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = encoder_directory(directory)
        config = json.loads((self.directory / CONFIG).read_text(encoding="utf-8"))
        self.tokenizer = WordPiece.from_file(self.directory / TOKENIZER)
        self.weights = read_safetensors(self.directory / WEIGHTS)
        self.bert = Bert(self.weights, int(config["num_attention_heads"]))
        self.dimensions = int(config["hidden_size"])

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> Array:
        if len(texts) <= SINGLE_THREADED_UP_TO:
            # A message or two: BLAS threads cost more CPU than they save (about 3x the CPU
            # time for a 20% shorter wall time here), and the engine serves other customers
            # on the other core.
            with _blas().limit(limits=1, user_api="blas"):
                return self._encode(texts, batch_size)
        return self._encode(texts, batch_size)

    def _encode(self, texts: Sequence[str], batch_size: int) -> Array:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for begin in range(0, len(texts), batch_size):
            ids = [self.tokenizer.ids(t) for t in texts[begin : begin + batch_size]]
            vectors = self.bert.token_vectors(ids)
            out[begin : begin + len(ids)] = mean_pool(vectors, [len(t) for t in ids])
        return out
