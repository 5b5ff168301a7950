"""The fallback that stands back when out_of_scope is a close runner-up: "delete my Snapchat
account" ranked delete_account 0.79 / out_of_scope 0.20 gets nlu_fallback (a clarification or
"what I can do"), never the account-closing answer (run in the engine's environment)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.nlu.engine_probe import run_probe

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from rasa.shared.nlu.training_data.message import Message
from nlu_components.off_topic_fallback import OffTopicFallbackClassifier

def parse(ranking, **config):
    c = OffTopicFallbackClassifier({**OffTopicFallbackClassifier.get_default_config(), **config})
    ranking = [{"name": n, "confidence": p} for n, p in ranking]
    m = Message(data={"text": "x", "intent": dict(ranking[0]), "intent_ranking": ranking})
    c.process([m])
    return [m.get("intent")["name"], [r["name"] for r in m.get("intent_ranking")]]

snapchat = [("delete_account", 0.79), ("out_of_scope", 0.2), ("switch_account", 0.01)]
print(json.dumps({
    "guarded": parse(snapchat, out_of_scope_threshold=0.2),
    "unguarded": parse(snapchat),
    "shop": parse([("track_order", 0.9), ("out_of_scope", 0.05), ("delivery_period", 0.05)],
                  out_of_scope_threshold=0.2),
    "off_topic": parse([("out_of_scope", 0.75), ("track_order", 0.25)],
                       out_of_scope_threshold=0.2),
    "low": parse([("track_order", 0.45), ("delivery_period", 0.3)], threshold=0.5,
                 out_of_scope_threshold=0.2),
}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    return run_probe(PROBE, "the fallback classifier")


def test_a_shop_intent_with_out_of_scope_close_behind_falls_back(probe: dict[str, Any]) -> None:
    intent, ranking = probe["guarded"]
    assert intent == "nlu_fallback"
    # the ranking stays, so the clarification can still offer the likeliest topics
    assert ranking == ["nlu_fallback", "delete_account", "out_of_scope", "switch_account"]


def test_without_the_setting_it_is_rasas_fallback_classifier(probe: dict[str, Any]) -> None:
    assert probe["unguarded"][0] == "delete_account"


def test_a_clear_shop_question_and_a_clear_off_topic_one_are_left_alone(
    probe: dict[str, Any],
) -> None:
    assert probe["shop"][0] == "track_order"
    assert probe["off_topic"][0] == "out_of_scope"


def test_low_confidence_still_falls_back(probe: dict[str, Any]) -> None:
    assert probe["low"][0] == "nlu_fallback"
