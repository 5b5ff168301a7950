"""The action server offers exactly the custom actions the domain names, no more, no fewer."""

from __future__ import annotations

from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"


def test_registered_actions_match_the_domain() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    domain = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    assert sorted(executor.actions) == sorted(domain["actions"])
