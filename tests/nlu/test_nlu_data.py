"""Invariants of the NLU training data in data/nlu/ (no Rasa import needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "data" / "nlu"

SUPPORT_INTENTS = {
    "cancel_order", "change_order", "change_shipping_address", "check_cancellation_fee",
    "check_invoice", "check_payment_methods", "check_refund_policy", "complaint",
    "contact_customer_service", "contact_human_agent", "create_account", "delete_account",
    "delivery_options", "delivery_period", "edit_account", "get_invoice", "get_refund",
    "newsletter_subscription", "payment_issue", "place_order", "recover_password",
    "registration_problems", "review", "set_up_shipping_address", "switch_account",
    "track_order", "track_refund",
}  # fmt: skip
CONVERSATION_INTENTS = {
    "greet", "goodbye", "thank_you", "affirm", "deny", "bot_challenge", "out_of_scope",
}  # fmt: skip
# Verified customers (issue #13): a handful of examples each, in data/nlu/verification.yml.
VERIFIED_INTENTS = {"my_orders", "forget_me"}
MIN_SUPPORT = 40
MIN_CONVERSATION = 20
MIN_VERIFIED = 8
ENTITIES = {"order_id", "email"}

ANNOTATION = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
ORDER_ID = re.compile(r"^(?:ORD-|#)?([1-9]\d{4})$", re.IGNORECASE)


def _blocks() -> list[tuple[str, dict]]:
    blocks = []
    for path in sorted(NLU_DIR.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert str(doc.get("version")) == "3.1", f'{path.name}: version must be "3.1"'
        for block in doc.get("nlu") or []:
            blocks.append((path.name, block))
    return blocks


def _examples(block: dict) -> list[str]:
    lines = block["examples"].splitlines()
    return [line[2:].strip() for line in lines if line.startswith("- ")]


def _plain(example: str) -> str:
    return ANNOTATION.sub(lambda m: m.group(1), example)


def _normalised(example: str) -> str:
    text = _plain(example).lower()
    return re.sub(r"[^\w@#]+", " ", text).strip()


@pytest.fixture(scope="module")
def intent_examples() -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for name, block in _blocks():
        if "intent" in block:
            intent = block["intent"]
            assert intent not in result, f"intent {intent} defined twice (again in {name})"
            result[intent] = _examples(block)
    return result


@pytest.fixture(scope="module")
def regexes() -> dict[str, list[re.Pattern[str]]]:
    result: dict[str, list[re.Pattern[str]]] = {}
    for _, block in _blocks():
        if "regex" in block:
            result[block["regex"]] = [re.compile(p, re.IGNORECASE) for p in _examples(block)]
    return result


def test_exactly_the_expected_intents(intent_examples: dict[str, list[str]]) -> None:
    # Intents in data/nlu/external.yml are triggered by the gateway (EXTERNAL_*) or sent by a
    # button (clarify_other), never typed.
    never_typed = {"clarify_other"}
    customer_intents = {
        i for i in intent_examples if not i.startswith("EXTERNAL_") and i not in never_typed
    }
    assert customer_intents == SUPPORT_INTENTS | CONVERSATION_INTENTS | VERIFIED_INTENTS


@pytest.mark.parametrize(
    "intent", sorted(SUPPORT_INTENTS | CONVERSATION_INTENTS | VERIFIED_INTENTS)
)
def test_minimum_examples(intent: str, intent_examples: dict[str, list[str]]) -> None:
    minimum = MIN_SUPPORT if intent in SUPPORT_INTENTS else MIN_CONVERSATION
    minimum = MIN_VERIFIED if intent in VERIFIED_INTENTS else minimum
    unique = {_normalised(e) for e in intent_examples[intent]}
    assert len(unique) >= minimum, f"{intent}: {len(unique)} distinct examples < {minimum}"


def test_examples_are_well_formed(intent_examples: dict[str, list[str]]) -> None:
    bad = [
        f"{intent}: {example!r}"
        for intent, examples in intent_examples.items()
        for example in examples
        if not example or example.startswith("-") or example != example.strip()
    ]
    assert not bad, "malformed examples:\n" + "\n".join(bad)


def test_no_duplicate_examples(intent_examples: dict[str, list[str]]) -> None:
    seen: dict[str, str] = {}
    duplicates = []
    for intent, examples in intent_examples.items():
        for example in examples:
            key = _normalised(example)
            if key in seen:
                duplicates.append(f"{example!r} in {intent} and {seen[key]}")
            seen[key] = intent
    assert not duplicates, "duplicate examples:\n" + "\n".join(duplicates)


def test_entity_annotations(intent_examples: dict[str, list[str]]) -> None:
    problems = []
    for intent, examples in intent_examples.items():
        for example in examples:
            for value, entity in ANNOTATION.findall(example):
                if entity not in ENTITIES:
                    problems.append(f"{intent}: unknown entity {entity!r} in {example!r}")
                elif entity == "order_id" and not ORDER_ID.match(value):
                    problems.append(f"{intent}: bad order_id {value!r}")
                elif entity == "email" and "@" not in value:
                    problems.append(f"{intent}: bad email {value!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_regex_matches_exactly_the_annotations(
    entity: str,
    intent_examples: dict[str, list[str]],
    regexes: dict[str, list[re.Pattern[str]]],
) -> None:
    """The RegexEntityExtractor must find every annotated value, as written, and nothing else."""
    assert entity in regexes, f"no regex for {entity}"
    mismatches = []
    for examples in intent_examples.values():
        for example in examples:
            text = _plain(example)
            annotated = sorted(v for v, e in ANNOTATION.findall(example) if e == entity)
            found = sorted(m.group() for p in regexes[entity] for m in p.finditer(text))
            if annotated != found:
                mismatches.append(f"{example!r}: annotated {annotated}, regex {found}")
    assert not mismatches, "\n".join(mismatches)


def test_order_id_regex_keeps_prefix(regexes: dict[str, list[re.Pattern[str]]]) -> None:
    cases = {
        "where is order #10234?": ["#10234"],
        "status of ORD-55812 please": ["ORD-55812"],
        "ord-20931 hasn't arrived": ["ord-20931"],
        "my order 73310": ["73310"],
        "call 0123456789 or 123456": [],
    }
    for text, expected in cases.items():
        found = [m.group() for p in regexes["order_id"] for m in p.finditer(text)]
        assert found == expected, text
