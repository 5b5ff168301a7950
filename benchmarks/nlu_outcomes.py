"""What a parsed message means for the customer (the outcome definitions of issue #10).

For a message whose true intent is one of the 27 support intents:
- *right first time*: the final intent (after FallbackClassifier) is the true one;
- *clarify*: the final intent is ``nlu_fallback`` (the assistant asks, or offers choices);
- *confidently wrong*: any other intent, above the threshold;
- *within one tap*: the true intent is among the top three of the ranking (``nlu_fallback``
  left out), so a clarification with three choices could offer it.
For an off-topic message, a *false accept* is a final intent among the 27 support intents
(``out_of_scope``, ``nlu_fallback`` and conversation intents such as ``greet`` are fine).

Evaluation sets are Rasa NLU YAML files (``version: "3.1"``, ``nlu: - intent: X  examples: |``);
in an off-topic file every example counts as off-topic whatever its intent line says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]  # stubs only in .venv

SUPPORT_INTENTS = frozenset(
    {
        "cancel_order", "change_order", "change_shipping_address", "check_cancellation_fee",
        "check_invoice", "check_payment_methods", "check_refund_policy", "complaint",
        "contact_customer_service", "contact_human_agent", "create_account", "delete_account",
        "delivery_options", "delivery_period", "edit_account", "get_invoice", "get_refund",
        "newsletter_subscription", "payment_issue", "place_order", "recover_password",
        "registration_problems", "review", "set_up_shipping_address", "switch_account",
        "track_order", "track_refund",
    }
)  # fmt: skip
FALLBACK = "nlu_fallback"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


@dataclass(frozen=True)
class Parse:
    """The parts of a ``/model/parse`` answer the outcomes need."""

    intent: str
    ranking: tuple[str, ...]  # intent names, most confident first

    @classmethod
    def from_response(cls, body: dict[str, Any]) -> Parse:
        ranking = tuple(
            str(r["name"]) for r in body.get("intent_ranking") or [] if r["name"] != FALLBACK
        )
        return cls(str((body.get("intent") or {}).get("name")), ranking)


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) of every intent example in a Rasa NLU YAML file, annotations removed."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for block in doc.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                out.append(
                    (_ANNOTATION.sub(lambda m: m.group(1), line[2:].strip()), block["intent"])
                )
    return out


def _share(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def support_outcomes(pairs: Iterable[tuple[str, Parse]]) -> dict[str, Any]:
    """Outcome shares over the messages whose true intent is a support intent."""
    rows = [(truth, p) for truth, p in pairs if truth in SUPPORT_INTENTS]
    return {
        "n": len(rows),
        "right_first_time": _share([p.intent == t for t, p in rows]),
        "clarify": _share([p.intent == FALLBACK for t, p in rows]),
        "confidently_wrong": _share([p.intent not in (t, FALLBACK) for t, p in rows]),
        "within_one_tap": _share([t in p.ranking[:3] for t, p in rows]),
    }


def off_topic_outcomes(parses: Iterable[Parse]) -> dict[str, Any]:
    """False-accept share over off-topic messages."""
    rows = list(parses)
    return {"n": len(rows), "false_accept": _share([p.intent in SUPPORT_INTENTS for p in rows])}


def write_examples(path: Path, examples: Iterable[tuple[str, str]]) -> None:
    """Examples as a Rasa NLU YAML file (for the proxy sets the bench derives from git)."""
    by_intent: dict[str, list[str]] = {}
    for text, intent in examples:
        by_intent.setdefault(intent, []).append(text)
    blocks = [
        {"intent": i, "examples": "".join(f"- {t}\n" for t in texts)}
        for i, texts in sorted(by_intent.items())
    ]

    class _Literal(str):
        pass

    def literal(dumper: yaml.SafeDumper, data: _Literal) -> yaml.Node:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")

    yaml.add_representer(_Literal, literal, Dumper=yaml.SafeDumper)
    for block in blocks:
        block["examples"] = _Literal(block["examples"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump({"version": "3.1", "nlu": blocks}, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
