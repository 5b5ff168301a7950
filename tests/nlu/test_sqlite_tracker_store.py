"""The engine's tracker store (endpoints.yml, nlu_components/sqlite_tracker_store.py): on a SQLite
file it writes ahead to a log, a conversation saved by an engine that then dies is read back whole
by the next engine, and CX_ENGINE_FAST_PATHS=0 keeps Rasa's rollback journal (run in the engine's
environment)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

# argv: project root, "save" or "read", sender id. Builds the store from endpoints.yml as
# `rasa run` does; "save" then dies without closing anything, as a crashed engine would.
PROBE = """
import asyncio, json, os, sys
sys.path.insert(0, sys.argv[1])
os.chdir(sys.argv[1])
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

mode, sender = sys.argv[2], sys.argv[3]
domain = Domain.load("domain.yml")
store = TrackerStore.create(AvailableEndpoints.read_endpoints("endpoints.yml").tracker_store,
                            domain)

async def main():
    if mode == "save":
        tracker = DialogueStateTracker(sender, domain.slots)
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered("where is my order 10002",
                                   {"name": "track_order", "confidence": 0.9}))
        tracker.update(SlotSet("order_id", "10002"))
        tracker.update(BotUttered("Order #10002 is on its way."))
        await store.save(tracker)
        print(json.dumps({"store": type(store).__name__,
                          "events": [e.as_dict() for e in tracker.events]}), flush=True)
        os._exit(0)
    tracker = await store.retrieve(sender)
    print(json.dumps({"store": type(store).__name__,
                      "events": [e.as_dict() for e in tracker.events] if tracker else None}))

asyncio.run(main())
"""


def _probe(db: Path, mode: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    if not RASA_PYTHON.exists():
        if os.environ.get("CX_E2E_REQUIRED"):
            pytest.fail(f"the engine checks need {RASA_PYTHON} (make setup)")
        pytest.skip("no engine environment: run `make setup`")
    out = subprocess.run(
        [str(RASA_PYTHON), "-c", PROBE, str(ROOT), mode, "telegram:4242"],
        capture_output=True, text=True, timeout=300, check=True,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false",
             "TRACKER_STORE_URL": f"sqlite:///{db}", "ACTION_ENDPOINT_URL": "http://localhost:1",
             "LOCK_STORE_TYPE": "in_memory", "LOCK_STORE_URL": "localhost",
             "LOCK_STORE_PORT": "6379", **(env or {})},
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _journal_mode(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        return str(connection.execute("PRAGMA journal_mode").fetchone()[0])


def test_a_conversation_saved_by_an_engine_that_dies_is_read_back_whole(tmp_path: Path) -> None:
    db = tmp_path / "trackers.sqlite3"
    saved = _probe(db, "save")
    assert saved["store"] == "WriteAheadSQLTrackerStore"
    assert (tmp_path / "trackers.sqlite3-wal").exists()  # the turn is in the log, not yet folded
    read = _probe(db, "read")
    assert read["events"] == saved["events"]
    assert _journal_mode(db) == "wal"
    assert [e["event"] for e in read["events"]] == ["action", "user", "slot", "bot"]
    assert read["events"][2]["value"] == "10002"


def test_the_switch_keeps_rasas_rollback_journal(tmp_path: Path) -> None:
    db = tmp_path / "trackers.sqlite3"
    off = {"CX_ENGINE_FAST_PATHS": "0"}
    saved = _probe(db, "save", off)
    assert _journal_mode(db) == "delete"
    assert _probe(db, "read", off)["events"] == saved["events"]
