"""Where the engine's CPU goes per customer message (``make profile-engine``).

Runs the trained model in this process (Rasa's own ``Agent``, the tracker and lock stores of
``endpoints.yml``) against a real action server, on the same scripted customer conversations,
three times: as Rasa is (``CX_ENGINE_FAST_PATHS=0``: its own action-response validation, event
lookup and, on SQLite, rollback journal), with our fast paths (``nlu_components/serving.py``) but
Rasa's rollback journal, and with everything on (the tracker file writes ahead to a log,
``nlu_components/sqlite_tracker_store.py``); each variant gets a tracker store of its own, built
as ``rasa run`` builds it, on a fresh SQLite file by default. For each it prints the engine's CPU ms per message (the
whole process, every thread, measured without the profiler), then, from a second pass under
cProfile, ms per message in each phase of a turn and the top cumulative functions.

    .venv-rasa/bin/python benchmarks/profile_engine.py [--rounds 3] [--top 15] [--figure out.png]

Run with the engine's environment (``.venv-rasa``); it starts the action server with ``.venv``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # endpoints.yml, survey.yml and the model paths are relative to the project
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

# Customer conversations as the gateway sends them: questions, an order form with a look-up,
# a confirmed cancellation, a side question, and the survey at the end (button payloads and a
# typed comment). Every message goes through NLU, policies and usually one or more actions.
CONVERSATIONS: list[list[str]] = [
    ["hi", "how long does delivery take?", "where is my order 10002", "ben.okafor@example.com",
     "no thanks, bye", "csat:5", "ces:6"],
    ["I want to cancel my order", "10001", "ana.lopez@example.com", "yes", "no", "csat:2",
     "it took far too long to get an answer", "ces:3"],
    ["can I get an invoice for order 10003", "what payment methods do you take?",
     "I want a refund for 10003", "chloe.martin@example.com", "thank you", "csat:4", "ces:5"],
]  # fmt: skip


@dataclass
class Variant:
    name: str
    compiled: bool
    write_ahead: bool
    cpu_ms: float = 0.0
    wall_ms: float = 0.0
    messages: int = 0
    profile: cProfile.Profile | None = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_action_server(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The project's action server (``.venv``) on a free port, with scratch databases."""
    port = _free_port()
    env = {
        **os.environ,
        "CX_TELEMETRY_DB_URL": f"sqlite:///{work / 'telemetry.sqlite3'}",
        "CX_TELEMETRY_OUTBOX": str(work / "outbox"),
        "CX_PSEUDONYM_KEY": "profile-key",
        "SHOP_DEMO_DB": str(work / "shop.sqlite3"),
        "SHOP_MAILDIR": str(work / "mail"),
    }
    app_python = str(ROOT / ".venv" / "bin" / "python")
    for migrate in (
        ["-m", "cx_telemetry.cli", "migrate"],
        ["-m", "actions.verification", "migrate"],
    ):
        subprocess.run([app_python, *migrate], env=env, check=True, capture_output=True)
    log = open(work / "actions.log", "wb")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [app_python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(url + "/health", timeout=1):
                return proc, url + "/webhook"
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"the action server did not start; see {work / 'actions.log'}")


async def load_agent(model: Path, endpoints_file: Path) -> tuple[Any, Any]:
    from rasa.core.agent import load_agent as rasa_load_agent
    from rasa.core.utils import AvailableEndpoints

    endpoints = AvailableEndpoints.read_endpoints(str(endpoints_file))
    agent = await rasa_load_agent(model_path=str(model), endpoints=endpoints)
    if not agent.is_ready():
        raise SystemExit(f"could not load the model {model}")
    return agent, endpoints


async def converse(agent: Any, run: str) -> int:
    """Every scripted conversation once, as the REST channel hands it to the engine."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    sent = 0
    for n, turns in enumerate(CONVERSATIONS):
        sender = f"telegram:profile-{run}-{n}"
        metadata = {"channel": "telegram", "conversation_id": None, "locale": "en"}
        for text in turns:
            out = CollectingOutputChannel()
            message = UserMessage(text, out, sender, input_channel="rest", metadata=metadata)
            await agent.handle_message(message)
            sent += 1
    return sent


def _set_variant(agent: Any, endpoints: Any, variant: Variant) -> None:
    """The variant's fast paths, and a tracker store of its own built as ``rasa run`` builds it
    (the switch is read when the store is built)."""
    from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore

    from nlu_components import serving

    if variant.write_ahead:
        os.environ.pop(serving.SWITCH, None)
    else:
        os.environ[serving.SWITCH] = "0"
    store = FailSafeTrackerStore(TrackerStore.create(endpoints.tracker_store, agent.domain))
    agent.tracker_store = agent.processor.tracker_store = store
    if variant.compiled:
        os.environ.pop(serving.SWITCH, None)
        serving.install()
    else:
        serving.uninstall()


async def measure(agent: Any, endpoints: Any, variant: Variant, rounds: int) -> None:
    """CPU ms per message without the profiler, then one profiled pass."""
    _set_variant(agent, endpoints, variant)
    await converse(agent, f"warm-{variant.name}-{uuid.uuid4().hex[:6]}")
    cpu = wall = 0.0
    for _ in range(rounds):
        t0, w0 = time.process_time(), time.perf_counter()
        variant.messages += await converse(agent, uuid.uuid4().hex[:8])
        cpu += time.process_time() - t0
        wall += time.perf_counter() - w0
    variant.cpu_ms = cpu / variant.messages * 1000
    variant.wall_ms = wall / variant.messages * 1000
    variant.profile = cProfile.Profile()
    variant.profile.enable()
    await converse(agent, uuid.uuid4().hex[:8])
    variant.profile.disable()


def _phases() -> list[tuple[str, list[Callable[..., Any]]]]:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

    from nlu_components import serving

    return [
        ("whole message (MessageProcessor.handle_message)", [MessageProcessor.handle_message]),
        ("  NLU (parse_message)", [MessageProcessor.parse_message]),
        ("  policies (predict_next_with_tracker_if_should)",
         [MessageProcessor.predict_next_with_tracker_if_should]),
        ("  custom actions (RemoteAction.run)", [RemoteAction.run]),
        ("    response validation", [serving._rasa_validate_action_result or
                                     RemoteAction._validate_action_result,
                                     serving._validate_action_result]),
        ("    request body (tracker.current_state)", [DialogueStateTracker.current_state]),
        ("  tracker store (get_tracker + save_tracker)",
         [MessageProcessor.get_tracker, MessageProcessor.save_tracker]),
        ("    reading the tracker (get_tracker)", [MessageProcessor.get_tracker]),
        ("    saving it (save_tracker)", [MessageProcessor.save_tracker]),
    ]  # fmt: skip


def phase_ms(
    profile: cProfile.Profile, functions: list[Callable[..., Any]], messages: int
) -> float:
    """Cumulative ms per message spent in (and under) any of ``functions``."""
    wanted = {(f.__code__.co_filename, f.__code__.co_firstlineno, f.__code__.co_name)
              for f in functions}  # fmt: skip
    raw: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return sum(raw[key][3] for key in wanted if key in raw) / messages * 1000


# The engine's own code and what it calls, without the event loop and this script's frames.
ENGINE_CODE = (
    r"site-packages/(rasa|jsonschema|dask|sklearn|scipy|sqlalchemy|aiohttp)/|nlu_components"
)


def top_functions(profile: cProfile.Profile, top: int) -> str:
    buffer = io.StringIO()
    stats = pstats.Stats(profile, stream=buffer).sort_stats("cumulative")
    stats.print_stats(ENGINE_CODE, top)
    lines = buffer.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    return "\n".join(line.replace(str(ROOT) + "/", "") for line in lines[start:] if line.strip())


def figure(variants: list[Variant], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    bars = ax.bar([v.name for v in variants], [v.cpu_ms for v in variants],
                  color=["#b0b0b0", "#7fb0d8", "#2a7ab9"][-len(variants) :])  # fmt: skip
    ax.bar_label(bars, fmt="%.1f ms")
    ax.set_ylim(0, max(v.cpu_ms for v in variants) * 1.2)
    ax.set_ylabel("engine CPU ms per customer message")
    ax.set_title("Engine CPU per message, one run")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


async def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    p.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml")
    p.add_argument("--rounds", type=int, default=3, help="timed passes over the conversations")
    p.add_argument("--top", type=int, default=25, help="functions listed per variant")
    p.add_argument("--figure", type=Path, help="also draw the CPU ms per message as a PNG")
    args = p.parse_args()
    if not args.model.exists():
        raise SystemExit(f"no model at {args.model}: run `make train`")
    # `rasa run` logs at INFO; the per-turn DEBUG lines would cost CPU the engine does not spend.
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.INFO)
    configure_structlog(logging.INFO)

    with tempfile.TemporaryDirectory(prefix="profile-engine-") as tmp:
        actions, url = start_action_server(Path(tmp))
        os.environ["ACTION_ENDPOINT_URL"] = url
        # endpoints.yml's stores as `make run` has them, unless the environment says otherwise
        own_file = "TRACKER_STORE_URL" not in os.environ
        os.environ.setdefault("TRACKER_STORE_URL", f"sqlite:///{tmp}/trackers.sqlite3")
        for name, default in (("LOCK_STORE_TYPE", "in_memory"), ("LOCK_STORE_URL", "localhost"),
                              ("LOCK_STORE_PORT", "6379")):  # fmt: skip
            os.environ.setdefault(name, default)
        try:
            agent, endpoints = await load_agent(args.model, args.endpoints)
            variants = [Variant("rasa as is", False, False),
                        Variant("fast paths", True, False),
                        Variant("fast paths + WAL", True, True)]  # fmt: skip
            for n, variant in enumerate(variants):
                if own_file and endpoints.tracker_store is not None:
                    endpoints.tracker_store.url = f"sqlite:///{tmp}/trackers-{n}.sqlite3"
                await measure(agent, endpoints, variant, args.rounds)
        finally:
            actions.terminate()
            actions.wait(timeout=10)

    n = sum(len(c) for c in CONVERSATIONS)
    print(f"engine CPU per customer message ({len(CONVERSATIONS)} conversations, {n} messages,"
          f" {args.rounds} timed rounds each; process CPU, all threads, no profiler)")  # fmt: skip
    for v in variants:
        print(f"  {v.name:<20} {v.cpu_ms:7.1f} ms   (n={v.messages}; wall time, action server"
              f" included: {v.wall_ms:.1f} ms)")  # fmt: skip
    print("\nms per message by phase (cProfile, one pass; includes the profiler's overhead)")
    print(f"  {'phase':<52}" + "".join(f"{v.name:>22}" for v in variants))
    for label, functions in _phases():
        cells = "".join(f"{phase_ms(v.profile, functions, n):22.1f}" for v in variants if v.profile)
        print(f"  {label:<52}{cells}")
    for v in variants:
        if v.profile:
            print(f"\ntop {args.top} cumulative functions, {v.name} (seconds over {n} messages)")
            print(top_functions(v.profile, args.top))
    if args.figure:
        figure(variants, args.figure)
        print(f"\nfigure: {args.figure}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
