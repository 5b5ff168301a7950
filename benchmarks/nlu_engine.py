"""A Rasa engine for the NLU bench: trains a model, serves it with ``rasa run --enable-api`` on a
free 127.0.0.1 port and parses messages through ``/model/parse``, timing each call and the
engine's CPU."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def rasa() -> list[str]:
    exe = Path(sys.executable).with_name("rasa")
    return [str(exe if exe.exists() else ROOT / ".venv-rasa" / "bin" / "rasa")]


def env() -> dict[str, str]:
    out = dict(os.environ)
    out.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    out.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    out.setdefault("RASA_TELEMETRY_ENABLED", "false")
    # No training cache: otherwise a re-run reuses cached components and the time means nothing.
    out["RASA_MAX_CACHE_SIZE"] = "0"
    return out


def run(cmd: list[str], log: Path) -> float:
    """Run a command from the repository root, output to ``log``; its wall time in seconds."""
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env())
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        tail = "".join(log.read_text(encoding="utf-8", errors="replace").splitlines(True)[-30:])
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    return elapsed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


class Engine:
    def __init__(self, url: str, pid: int) -> None:
        self.url = url
        self.pid = pid

    def parse(self, text: str) -> tuple[dict[str, Any], float]:
        """The parse result and the call's wall time in milliseconds."""
        body = json.dumps({"text": text}).encode()
        request = urllib.request.Request(
            f"{self.url}/model/parse", body, {"Content-Type": "application/json"}
        )
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            result = json.loads(response.read())
        return dict(result), (time.perf_counter() - start) * 1000

    def parse_all(self, texts: Sequence[str]) -> tuple[list[dict[str, Any]], dict[str, float]]:
        """Parse every text one by one; latency p50/p95 and engine CPU ms per message."""
        for text in texts[:10]:  # warm-up: first calls build caches
            self.parse(text)
        cpu = _cpu_seconds(self.pid)
        results, times = [], []
        for text in texts:
            result, ms = self.parse(text)
            results.append(result)
            times.append(ms)
        cpu_ms = (_cpu_seconds(self.pid) - cpu) * 1000 / max(len(texts), 1)
        times.sort()
        stats = {
            "n": len(times),
            "p50_ms": round(times[len(times) // 2], 1) if times else 0.0,
            "p95_ms": round(times[int(len(times) * 0.95)], 1) if times else 0.0,
            "engine_cpu_ms_per_message": round(cpu_ms, 1),
        }
        return results, stats


@contextmanager
def serve(model: Path, log: Path) -> Iterator[Engine]:
    """``rasa run --enable-api`` on the model until the block ends."""
    port = _free_port()
    # Parsing needs no action server, tracker store or lock store: none of endpoints.yml.
    endpoints = log.with_name("endpoints.yml")
    endpoints.write_text("{}\n", encoding="utf-8")
    cmd = rasa() + ["run", "--enable-api", "-m", str(model), "-i", "127.0.0.1", "-p", str(port)]
    cmd += ["--endpoints", str(endpoints)]
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env())
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the engine stopped while starting; see {log}")
            try:
                with urllib.request.urlopen(f"{url}/status", timeout=2) as r:  # noqa: S310
                    if json.loads(r.read()).get("model_file"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the engine did not start within 300 s; see {log}")
            time.sleep(1)
        yield Engine(url, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
