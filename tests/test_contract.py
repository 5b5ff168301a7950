"""The names in ``contract.py`` are the ones the engine's domain and rules use."""

from __future__ import annotations

from pathlib import Path

import yaml

import contract

ROOT = Path(__file__).resolve().parents[1]


def test_external_intents_are_in_the_domain_and_the_rules() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    rules = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "data" / "rules").glob("*.yml"))
    for intent in (contract.IDLE_INTENT, contract.HANDOFF_RESOLVED_INTENT):
        assert intent.startswith(contract.EXTERNAL_INTENT_PREFIX)
        assert intent in domain["intents"]
        assert f"intent: {intent}" in rules


def test_sender_ids() -> None:
    assert contract.sender_id("telegram", "42", "42") == "telegram:42"
    assert contract.sender_id("telegram", "-100", "7", shared_chat=True) == "telegram:-100:7"
    assert contract.sender_id("slack", "D1", "U1") == "slack:D1:U1"


def test_survey_payloads() -> None:
    assert contract.survey_payload("csat", 4) == "csat:4"
    assert contract.parse_survey_payload(" ces:7 ") == ("ces", 7)
    for text in ("re:10", "csat:", "csat:4 please", "/affirm", "ces:123"):
        assert contract.parse_survey_payload(text) is None
    assert {m for m in contract.SURVEY_METRICS} >= {"csat", "ces"}
