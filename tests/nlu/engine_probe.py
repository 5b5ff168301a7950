"""Run a probe script in the engine's environment (.venv-rasa: Rasa, TensorFlow, numpy) and
read the JSON it prints last; the NLU component tests assert on what it found. Skipped without
that environment, and a failure when ``CX_E2E_REQUIRED`` is set (``make test``)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def run_probe(
    source: str, what: str, *, encoder: Path | None = None, timeout: int = 300
) -> dict[str, Any]:
    """``source`` runs with the repository root as ``argv[1]`` (and ``encoder``, the sentence
    encoder's folder, as ``argv[2]`` when the probe needs it); ``what`` names it in the failure."""
    ready = RASA_PYTHON.exists() and (encoder is None or (encoder / "model.safetensors").exists())
    if not ready:
        needs = f"{RASA_PYTHON} and {encoder}" if encoder else str(RASA_PYTHON)
        if os.environ.get("CX_E2E_REQUIRED"):
            pytest.fail(f"{what} needs {needs} (make setup)")
        pytest.skip(
            "no engine environment or sentence encoder: run `make setup`"
            if encoder
            else "no engine environment: run `make setup`"
        )
    args = [str(RASA_PYTHON), "-c", source, str(ROOT), *([str(encoder)] if encoder else [])]
    out = subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))
