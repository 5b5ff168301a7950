"""The engine's fast paths (nlu_components/serving.py): action server responses are validated
with one validator compiled once per process, a valid response passes, an invalid one is still
refused with Rasa's own error, and the check costs a fraction of Rasa's; events are read into
the same classes as Rasa's own lookup (run in the engine's environment)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

PROBE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from nlu_components import serving

spec = RemoteAction.action_response_format_spec
compiled = []
def counting_spec():
    compiled.append(1)
    return spec()
RemoteAction.action_response_format_spec = staticmethod(counting_spec)

valid = {
    "events": [
        {"event": "slot", "name": "order_id", "value": "10002", "timestamp": None},
        {"event": "active_loop", "name": None},
        {"event": "followup", "name": "action_listen"},
    ],
    "responses": [{"text": "Order #10002 is on its way.", "buttons": []}],
}
invalid = [
    {"events": [{"event": "slot", "name": "order_id", "value": "1"}, {"name": "no event key"}]},
    {"events": "not a list", "responses": []},
    {"events": [], "responses": ["a bare string"]},
]
action = RemoteAction("action_track_order", None)

def outcome(response):
    try:
        action._validate_action_result(json.loads(json.dumps(response)))
        return "ok"
    except ValidationError as e:
        return e.message

def timed(n):
    t0 = time.process_time()
    for _ in range(n):
        action._validate_action_result(valid)
    return (time.process_time() - t0) / n * 1000

from rasa.shared.core.events import Event
import rasa.shared.utils.common
names = sorted({c.type_name for c in rasa.shared.utils.common.all_subclasses(Event)})

def lookups():
    found = {n: Event.resolve_by_type(n).__name__ for n in names}
    found["topic"] = repr(Event.resolve_by_type("topic"))
    found["unknown with default"] = Event.resolve_by_type("nope", Event).__name__
    try:
        Event.resolve_by_type("nope")
    except ValueError as e:
        found["unknown"] = str(e)
    return found

rasa = {"valid": outcome(valid), "invalid": [outcome(r) for r in invalid], "ms": timed(20),
        "events": lookups()}
rasa_compiled = len(compiled)
del compiled[:]
active = serving.install()
ours = {"valid": outcome(valid), "invalid": [outcome(r) for r in invalid], "ms": timed(200),
        "events": lookups()}
serving.install()  # a second model load changes nothing
ours["ms"] = min(ours["ms"], timed(200))
print(json.dumps({"active": active, "rasa": rasa, "ours": ours,
                  "rasa_compiled": rasa_compiled, "ours_compiled": len(compiled)}))
"""


def _run(env: dict[str, str] | None = None) -> dict[str, Any]:
    if not RASA_PYTHON.exists():
        if os.environ.get("CX_E2E_REQUIRED"):
            pytest.fail(f"the engine checks need {RASA_PYTHON} (make setup)")
        pytest.skip("no engine environment: run `make setup`")
    out = subprocess.run(
        [str(RASA_PYTHON), "-c", PROBE, str(ROOT)],
        capture_output=True, text=True, timeout=300, check=True,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", **(env or {})},
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    return _run()


def test_the_response_schema_is_compiled_once_for_many_action_calls(probe: dict[str, Any]) -> None:
    assert probe["active"] is True
    assert probe["rasa_compiled"] == 20 + 1 + 3  # Rasa rebuilds it on every call
    assert probe["ours_compiled"] == 1


def test_valid_responses_pass_and_invalid_ones_are_refused_with_rasas_error(
    probe: dict[str, Any],
) -> None:
    assert probe["ours"]["valid"] == probe["rasa"]["valid"] == "ok"
    assert probe["ours"]["invalid"] == probe["rasa"]["invalid"]
    for message in probe["ours"]["invalid"]:
        assert "Failed to validate Action server response from API" in message
        assert message.endswith("/custom-actions")


def test_events_are_read_into_the_same_classes(probe: dict[str, Any]) -> None:
    assert probe["ours"]["events"] == probe["rasa"]["events"]
    assert probe["ours"]["events"]["user"] == "UserUttered"
    assert probe["ours"]["events"]["unknown"] == "Unknown event name 'nope'."
    assert len(probe["ours"]["events"]) > 20


def test_a_validation_costs_a_fraction_of_rasas(probe: dict[str, Any]) -> None:
    assert probe["ours"]["ms"] * 5 < probe["rasa"]["ms"], probe


def test_the_switch_keeps_rasas_validation() -> None:
    off = _run({"CX_ENGINE_FAST_PATHS": "0"})
    assert off["active"] is False
    assert off["ours_compiled"] == 1 + 3 + 200 + 200  # rebuilt on every call
