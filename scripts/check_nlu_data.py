#!/usr/bin/env python3
"""Check the NLU training data in data/nlu/ for near-duplicates and unannotated entities.

    .venv-rasa/bin/python scripts/check_nlu_data.py [--base GIT_REF] [--threshold 0.8]

Problems (any one makes the exit status 1):
- near-duplicates: two examples whose character n-gram vectors (char_wb 3-5, tf-idf, fitted on
  all examples) have a cosine >= the threshold, within one intent or across two intents
  (a cross-intent near-copy teaches the classifier two answers for one message);
- more than MAX_SAME_START examples of one intent opening with the same two words, which
  means the phrasings vary too little;
- an order number or e-mail address the entity regexes (data/nlu/entities.yml) find but that
  is not annotated, or an annotation they would not find.

With --base, examples that are not in that git revision are marked "new" in the report, so
a new example that copies an existing one is easy to spot and reword.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = Path(__file__).resolve().parents[1]
NLU_DIR = ROOT / "data" / "nlu"
ANNOTATION = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
MAX_SAME_START = 3
MACHINE_FILE = "external.yml"
CHUNK = 512
# Pairs that look alike to character n-grams but mean opposite things (one negates the other);
# each intent needs its half, so they are reviewed once here instead of reworded.
CONTRASTS = {
    frozenset(pair)
    for pair in (
        ("absolutely", "absolutely not"),
        ("thanks", "no thanks"),
        ("thank you", "no thank you"),
        ("that's right", "that's not right"),
        ("good day", "have a good day"),
        ("create account", "can't create an account"),
    )
}


@dataclass(frozen=True)
class Example:
    intent: str
    file: str
    text: str  # as written, with annotations

    @property
    def plain(self) -> str:
        return ANNOTATION.sub(lambda m: m.group(1), self.text)


def _examples_of(block: dict) -> list[str]:
    return [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]


def load(directory: Path) -> tuple[list[Example], dict[str, list[re.Pattern[str]]]]:
    examples: list[Example] = []
    regexes: dict[str, list[re.Pattern[str]]] = {}
    for path in sorted(directory.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in doc.get("nlu") or []:
            # external.yml holds machine tokens (EXTERNAL_* intents the gateway triggers, button
            # payloads such as clarify_other), not customer text.
            machine = path.name == MACHINE_FILE or str(block.get("intent")).startswith("EXTERNAL_")
            if "intent" in block and not machine:
                examples += [Example(block["intent"], path.name, t) for t in _examples_of(block)]
            elif "regex" in block:
                patterns = [re.compile(p, re.IGNORECASE) for p in _examples_of(block)]
                regexes[block["regex"]] = patterns
    return examples, regexes


def load_base(ref: str) -> set[str]:
    """Plain texts of the examples in data/nlu/ at git revision REF."""
    listing = subprocess.run(
        ["git", "ls-tree", "--name-only", ref, "data/nlu/"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    texts: set[str] = set()
    for name in listing:
        if not name.endswith(".yml"):
            continue
        content = subprocess.run(
            ["git", "show", f"{ref}:{name}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        for block in yaml.safe_load(content).get("nlu") or []:
            if "intent" in block:
                texts |= {Example("", "", t).plain for t in _examples_of(block)}
    return texts


def near_duplicates(examples: list[Example], threshold: float) -> list[tuple[float, int, int]]:
    texts = [e.plain.lower() for e in examples]
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5))
    matrix = vectoriser.fit_transform(texts).astype(np.float32)
    pairs: list[tuple[float, int, int]] = []
    for start in range(0, matrix.shape[0], CHUNK):
        block = (matrix[start : start + CHUNK] @ matrix.T).toarray()
        rows, cols = np.nonzero(block >= threshold)
        for row, col in zip(rows, cols, strict=True):
            i = start + int(row)
            j = int(col)
            if j > i and frozenset((texts[i], texts[j])) not in CONTRASTS:
                pairs.append((float(block[row, col]), i, j))
    return sorted(pairs, reverse=True)


def first_two_words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[\w']+", text.lower())[:2])


def same_starts(examples: list[Example]) -> list[tuple[str, tuple[str, ...], int]]:
    counts: Counter[tuple[str, tuple[str, ...]]] = Counter(
        (e.intent, first_two_words(e.plain)) for e in examples
    )
    return sorted((intent, start, n) for (intent, start), n in counts.items() if n > MAX_SAME_START)


def entity_mismatches(
    examples: list[Example], regexes: dict[str, list[re.Pattern[str]]]
) -> list[str]:
    problems = []
    for example in examples:
        plain = example.plain
        for entity, patterns in regexes.items():
            annotated = sorted(v for v, e in ANNOTATION.findall(example.text) if e == entity)
            found = sorted(m.group() for p in patterns for m in p.finditer(plain))
            if annotated != found:
                problems.append(
                    f"{example.intent}: {example.text!r}: {entity} annotated {annotated}, "
                    f"regex finds {found}"
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=NLU_DIR)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--base", help="git revision whose examples count as old")
    args = parser.parse_args(argv)

    examples, regexes = load(args.dir)
    base = load_base(args.base) if args.base else None

    def label(e: Example) -> str:
        new = " (new)" if base is not None and e.plain not in base else ""
        return f"{e.intent}{new}: {e.text!r}"

    pairs = near_duplicates(examples, args.threshold)
    same_intent = [p for p in pairs if examples[p[1]].intent == examples[p[2]].intent]
    cross_intent = [p for p in pairs if examples[p[1]].intent != examples[p[2]].intent]
    starts = same_starts(examples)
    entities = entity_mismatches(examples, regexes)

    for title, found in (("same intent", same_intent), ("CROSS-INTENT", cross_intent)):
        if found:
            print(f"\nnear-duplicates, {title} (cosine >= {args.threshold}): {len(found)}")
            for score, i, j in found:
                print(f"  {score:.3f}  {label(examples[i])}\n         {label(examples[j])}")
    if starts:
        print(f"\nmore than {MAX_SAME_START} examples of one intent start with the same words:")
        for intent, start, n in starts:
            print(f"  {intent}: {' '.join(start)!r} x{n}")
    if entities:
        print(f"\nunannotated or wrongly annotated order numbers / e-mails: {len(entities)}")
        for line in entities:
            print(f"  {line}")

    per_intent = Counter(e.intent for e in examples)
    new_count = sum(1 for e in examples if base is not None and e.plain not in base)
    print(f"\n{len(examples)} examples, {len(per_intent)} intents", end="")
    print(f" ({new_count} new since {args.base})" if base is not None else "")
    by_file: dict[str, set[str]] = defaultdict(set)
    for e in examples:
        by_file[e.file].add(e.intent)
    for name in sorted(by_file):
        counts = ", ".join(f"{i} {per_intent[i]}" for i in sorted(by_file[name]))
        print(f"  {name}: {counts}")
    problems = len(pairs) + len(starts) + len(entities)
    print(
        f"near-duplicates: {len(same_intent)} same-intent, {len(cross_intent)} cross-intent; "
        f"repeated openings: {len(starts)}; entity problems: {len(entities)}"
    )
    print("OK" if not problems else f"FAILED: {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
