#!/usr/bin/env python
"""NLU benchmark behind `make bench-nlu`: the chosen pipeline beside the runner-up, same run.

For each pipeline (config.yml; benchmarks/nlu_configs/runner_up.yml, the same encoder without
fine-tuning; DIET with --diet) it
1. times a full `rasa train nlu` on data/nlu/ (the encoder's fine-tuning included);
2. serves that model with `rasa run --enable-api` and sends every message of the evaluation
   sets to /model/parse: right-first-time, clarify, confidently-wrong and within-one-tap on the
   support messages, false-accept on the off-topic ones (benchmarks/nlu_outcomes.py), parse
   latency p50/p95 and the engine's CPU per message;
3. runs `rasa test nlu --cross-validation --folds 5` (intent accuracy and macro-F1; Rasa
   undoes nlu_fallback there, so it is the classifier's own accuracy).
Evaluation sets, when present: benchmarks/heldout/{customers,off_topic}.yml (written by others,
never trained or tuned on) and benchmarks/dev/{customers,off_topic}.yml. --proxy REV adds the
"unseen phrasings" proxy: train on data/nlu as of commit REV, evaluate on the examples added
since (its out_of_scope ones as off-topic). It also prints the encoder's own cost per message.

    .venv-rasa/bin/python benchmarks/bench_nlu.py [--only chosen] [--diet] [--skip-cv]
        [--proxy 8bbcf5b] [--folds 5] [--set dev] [--model NAME=PATH ...]

`--set dev` evaluates on the dev set only (for tuning: the held-out set is read only for the
final figures); `--model NAME=PATH` (repeatable) parses with already trained models instead of
training (no CV), e.g. `--model before=old.tar.gz --model after=models/current.tar.gz`.

Results go to var/bench/<name>/ and var/bench/summary.json. About 35 minutes with CV.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from nlu_engine import ROOT, Engine, rasa, run, serve
from nlu_outcomes import (
    SUPPORT_INTENTS,
    Parse,
    off_topic_outcomes,
    read_examples,
    support_outcomes,
    write_examples,
)

CONFIGS = {
    "chosen": ROOT / "config.yml",
    "runner_up": ROOT / "benchmarks" / "nlu_configs" / "runner_up.yml",
    "diet": ROOT / "benchmarks" / "nlu_configs" / "diet.yml",
}
NLU_DATA = ROOT / "data" / "nlu"
OUT = ROOT / "var" / "bench"
SETS = {"heldout": ROOT / "benchmarks" / "heldout", "dev": ROOT / "benchmarks" / "dev"}
ENCODER_DIR = ROOT / ".venv-rasa" / "share" / "minilm-l6-v2"


def proxy_data(rev: str) -> tuple[Path, list[tuple[str, str]]]:
    """data/nlu as of ``rev`` written under var/bench/proxy, and the examples added since."""
    train = OUT / "proxy" / rev / "nlu"
    if train.exists():
        shutil.rmtree(train)
    train.mkdir(parents=True)
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", rev, "data/nlu/"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in names:
        text = subprocess.run(
            ["git", "show", f"{rev}:{name}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        (train / Path(name).name).write_text(text, encoding="utf-8")
    seen = {t.lower() for f in train.glob("*.yml") for t, _ in read_examples(f)}
    unseen = [
        (t, i)
        for f in sorted(NLU_DATA.glob("*.yml"))
        for t, i in read_examples(f)
        if t.lower() not in seen and not i.startswith("EXTERNAL_")
    ]
    write_examples(OUT / "proxy" / rev / "unseen.yml", unseen)
    return train, unseen


def evaluation_sets(
    proxy: list[tuple[str, str]] | None, only: list[str] | None = None
) -> dict[str, dict[str, list[Any]]]:
    """name -> {"support": [(text, intent)], "off_topic": [text]} for the sets present (those
    named in ``only`` when given)."""
    sets: dict[str, dict[str, list[Any]]] = {}
    for name, folder in SETS.items():
        if only and name not in only:
            continue
        customers, off_topic = folder / "customers.yml", folder / "off_topic.yml"
        if customers.exists() or off_topic.exists():
            sets[name] = {
                "support": read_examples(customers) if customers.exists() else [],
                "off_topic": [t for t, _ in read_examples(off_topic)] if off_topic.exists() else [],
            }
    if proxy is not None:
        sets["proxy"] = {
            "support": [(t, i) for t, i in proxy if i in SUPPORT_INTENTS],
            "off_topic": [t for t, i in proxy if i == "out_of_scope"],
        }
    return sets


def outcomes(engine: Engine, sets: dict[str, dict[str, list[Any]]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, s in sets.items():
        texts = [t for t, _ in s["support"]] + list(s["off_topic"])
        parsed, latency = engine.parse_all(texts)
        parses = [Parse.from_response(p) for p in parsed]
        n = len(s["support"])
        result[name] = {
            "support": support_outcomes(zip([i for _, i in s["support"]], parses[:n], strict=True)),
            "off_topic": off_topic_outcomes(parses[n:]),
            "latency": latency,
        }
    return result


def bench_model(name: str, model: Path, args: argparse.Namespace) -> dict[str, Any]:
    """An already trained model: parse only, no training and no CV."""
    out = OUT / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    sets = evaluation_sets(None, args.set)
    print(f"[{name}] parsing {', '.join(sets)} with {model} ...", flush=True)
    with serve(model.resolve(), out / "engine.log") as engine:
        return {"model": str(model), **outcomes(engine, sets)}


def bench(name: str, config: Path, args: argparse.Namespace, proxy: Any) -> dict[str, Any]:
    out = OUT / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    result: dict[str, Any] = {"config": str(config.relative_to(ROOT))}
    runs = [("", NLU_DATA, evaluation_sets(None, args.set))]
    if proxy is not None:
        runs.append(("proxy_", proxy[0], evaluation_sets(proxy[1])))
        runs[1][2].pop("heldout", None)  # a model trained on older data says nothing about them
        runs[1][2].pop("dev", None)
    for prefix, data, sets in runs:
        print(f"[{name}] {prefix}training on {data.relative_to(ROOT)} ...", flush=True)
        seconds = run(
            rasa() + ["train", "nlu", "--nlu", str(data), "--config", str(config), "--out",
                      str(out / "models"), "--fixed-model-name", f"{prefix}nlu"],
            out / f"{prefix}train.log",
        )  # fmt: skip
        result[f"{prefix}train_seconds"] = round(seconds, 1)
        if sets or not prefix:
            print(f"[{name}] parsing {', '.join(sets) or 'a latency sample'} ...", flush=True)
            if not sets:  # no evaluation set yet: time the training examples' texts
                sample = [t for f in sorted(data.glob("*.yml")) for t, _ in read_examples(f)]
                sets = {"latency_sample": {"support": [], "off_topic": sample[::10]}}
            model = out / "models" / f"{prefix}nlu.tar.gz"
            with serve(model, out / f"{prefix}engine.log") as engine:
                result.update({f"{prefix}{k}": v for k, v in outcomes(engine, sets).items()})
    if not args.skip_cv:
        print(f"[{name}] {args.folds}-fold cross-validation ...", flush=True)
        cv_dir = out / "cv"
        result["cv_seconds"] = round(
            run(
                rasa() + ["test", "nlu", "--nlu", str(NLU_DATA), "--config", str(config),
                          "--cross-validation", "--folds", str(args.folds), "--out", str(cv_dir)],
                out / "cv.log",
            ),
            1,
        )  # fmt: skip
        report = json.loads((cv_dir / "intent_report.json").read_text(encoding="utf-8"))
        result["cv_accuracy"] = round(report["accuracy"], 4)
        result["cv_macro_f1"] = round(report["macro avg"]["f1-score"], 4)
    return result


def encoder_cost() -> dict[str, Any]:
    """CPU ms to encode one message with the MiniLM encoder, as the engine does."""
    import sys

    sys.path.insert(0, str(ROOT))
    from nlu_components.minilm import MiniLMEncoder

    encoder = MiniLMEncoder(ENCODER_DIR)
    texts = [t for f in sorted(NLU_DATA.glob("*.yml")) for t, _ in read_examples(f)][::8]
    for text in texts[:20]:
        encoder.encode([text])
    start = time.process_time()
    for text in texts:
        encoder.encode([text])
    return {
        "messages": len(texts),
        "cpu_ms": round((time.process_time() - start) * 1000 / len(texts), 2),
    }


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def print_table(results: dict[str, dict[str, Any]]) -> None:
    rows: list[tuple[str, list[str]]] = []
    for label, keys in (
        ("right first time", ("support", "right_first_time")),
        ("clarify", ("support", "clarify")),
        ("confidently wrong", ("support", "confidently_wrong")),
        ("within one tap", ("support", "within_one_tap")),
        ("off-topic false accept", ("off_topic", "false_accept")),
    ):
        for set_name in ("heldout", "dev", "proxy_proxy"):
            cells = [r.get(set_name, {}).get(keys[0], {}).get(keys[1]) for r in results.values()]
            if any(c is not None for c in cells):
                rows.append(
                    (f"{label} ({set_name.removeprefix('proxy_')})", [_fmt(c) for c in cells])
                )
    for label, key in (
        ("5-fold CV accuracy", "cv_accuracy"),
        ("5-fold CV macro-F1", "cv_macro_f1"),
        ("train nlu s", "train_seconds"),
    ):
        rows.append((label, [_fmt(r.get(key)) for r in results.values()]))
    for label, key in (
        ("parse p50 ms", "p50_ms"),
        ("parse p95 ms", "p95_ms"),
        ("engine CPU ms/parse", "engine_cpu_ms_per_message"),
    ):
        cells = []
        for r in results.values():
            first: dict[str, Any] = next(
                (r[s] for s in ("heldout", "dev", "latency_sample") if s in r), {}
            )
            cells.append(_fmt(first.get("latency", {}).get(key)))
        rows.append((label, cells))
    width = max(len(label) for label, _ in rows)
    print(f"{'':<{width}}  " + "  ".join(f"{n:>10}" for n in results))
    for label, cells in rows:
        print(f"{label:<{width}}  " + "  ".join(f"{c:>10}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only", choices=sorted(CONFIGS), action="append")
    parser.add_argument("--diet", action="store_true", help="also DIET (about 20 more minutes)")
    parser.add_argument("--skip-cv", action="store_true", help="no cross-validation")
    parser.add_argument("--proxy", metavar="REV", help="also train on data/nlu as of REV")
    parser.add_argument(
        "--set",
        choices=sorted(SETS),
        action="append",
        help="evaluate on this set only (repeatable); `--set dev` leaves the held-out set alone",
    )
    parser.add_argument(
        "--model",
        metavar="NAME=PATH",
        action="append",
        help="parse with this trained model instead of training one (repeatable; no CV)",
    )
    args = parser.parse_args()
    if args.model:
        models = dict(m.split("=", 1) for m in args.model if "=" in m)
        if len(models) != len(args.model):
            parser.error("--model takes NAME=PATH, e.g. --model chosen=models/current.tar.gz")
        cost = encoder_cost()
        parsed = {name: bench_model(name, Path(path), args) for name, path in models.items()}
        (OUT / "models.json").write_text(
            json.dumps({"models": parsed, "encoder": cost}, indent=2) + "\n", encoding="utf-8"
        )
        print()
        print_table(parsed)
        print(f"details: {(OUT / 'models.json').relative_to(ROOT)}")
        return

    names = args.only or ["chosen", "runner_up"] + (["diet"] if args.diet else [])
    summary = OUT / "summary.json"
    results: dict[str, Any] = {}
    if args.only and summary.exists():  # keep the other configurations' last figures
        results = json.loads(summary.read_text(encoding="utf-8")).get("pipelines", {})
    proxy = proxy_data(args.proxy) if args.proxy else None
    cost = encoder_cost()
    for name in names:
        results[name] = bench(name, CONFIGS[name], args, proxy)
        results = {name: results[name] for name in CONFIGS if name in results}
        # written after each pipeline, so an interrupted run keeps what it measured
        summary.write_text(
            json.dumps({"pipelines": results, "encoder": cost}, indent=2) + "\n", encoding="utf-8"
        )
    print()
    print_table(results)
    print(
        f"\nMiniLM encoder alone: {cost['cpu_ms']} ms CPU per message ({cost['messages']} messages)"
    )
    for name in SETS:
        if (not args.set or name in args.set) and not any(name in r for r in results.values()):
            print(f"({name} set absent: benchmarks/{name}/customers.yml, off_topic.yml)")
    print(f"details: {summary.relative_to(ROOT)} and {OUT.relative_to(ROOT)}/<name>/")


if __name__ == "__main__":
    main()
