#!/usr/bin/env python
"""NLU benchmark behind `make bench-nlu`.

Runs `rasa test nlu --cross-validation --folds 5` on data/nlu/ for the chosen pipeline
(config.yml), the runner-up (benchmarks/nlu_configs/runner_up.yml: the same without the
sentence encoder) and DIET (benchmarks/nlu_configs/diet.yml), times a full `rasa train nlu`
with each, and prints 5-fold intent accuracy, intent macro-F1, entity F1 and training time,
then which configuration is chosen. The whole run takes about 25 minutes; DIET is most of it.

Run from the repository root with the Rasa virtualenv:

    .venv-rasa/bin/python benchmarks/bench_nlu.py [--folds 5] [--only chosen] [--skip-train]

Outputs (logs, reports, confusion matrices, models) go to var/bench/<name>/ and a summary
to var/bench/summary.json. Note: `rasa test` undoes FallbackClassifier predictions, so the
accuracy is that of the intent classifier itself, before the nlu_fallback threshold.
Rasa shuffles the folds without a fixed seed, so figures move by about +/-1 point between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {
    "chosen": ROOT / "config.yml",
    "runner_up": ROOT / "benchmarks" / "nlu_configs" / "runner_up.yml",
    "diet": ROOT / "benchmarks" / "nlu_configs" / "diet.yml",
}
NLU_DATA = ROOT / "data" / "nlu"
OUT = ROOT / "var" / "bench"


def _rasa() -> list[str]:
    exe = Path(sys.executable).with_name("rasa")
    if exe.exists():
        return [str(exe)]
    return [str(ROOT / ".venv-rasa" / "bin" / "rasa")]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    # No training cache: otherwise a re-run reuses cached components and the time means nothing.
    env["RASA_MAX_CACHE_SIZE"] = "0"
    return env


def _run(cmd: list[str], log: Path) -> float:
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=_env())
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        tail = "".join(log.read_text(encoding="utf-8", errors="replace").splitlines(True)[-30:])
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    return elapsed


def _entity_f1(cv_dir: Path) -> dict[str, float]:
    scores = {}
    for report in sorted(cv_dir.glob("*Extractor_report.json")) + sorted(
        cv_dir.glob("DIETClassifier_report.json")
    ):
        data = json.loads(report.read_text(encoding="utf-8"))
        extractor = report.name.removesuffix("_report.json")
        for label, values in data.items():
            if isinstance(values, dict) and label not in {
                "micro avg",
                "macro avg",
                "weighted avg",
            }:
                scores[f"{extractor}:{label}"] = round(values["f1-score"], 4)
    return scores


def bench(name: str, config: Path, folds: int, skip_train: bool) -> dict:
    out = OUT / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    print(f"[{name}] {folds}-fold cross-validation of {config.relative_to(ROOT)} ...", flush=True)
    cv_dir = out / "cv"
    cv_seconds = _run(
        _rasa()
        + ["test", "nlu", "--nlu", str(NLU_DATA), "--config", str(config),
           "--cross-validation", "--folds", str(folds), "--successes", "--out", str(cv_dir)],
        out / "cv.log",
    )  # fmt: skip
    report = json.loads((cv_dir / "intent_report.json").read_text(encoding="utf-8"))
    result = {
        "config": str(config.relative_to(ROOT)),
        "folds": folds,
        "intent_accuracy": round(report["accuracy"], 4),
        "intent_macro_f1": round(report["macro avg"]["f1-score"], 4),
        "entity_f1": _entity_f1(cv_dir),
        "cv_seconds": round(cv_seconds, 1),
        "train_seconds": None,
    }
    if not skip_train:
        print(f"[{name}] timing a full `rasa train nlu` ...", flush=True)
        result["train_seconds"] = round(
            _run(
                _rasa()
                + ["train", "nlu", "--nlu", str(NLU_DATA), "--config", str(config),
                   "--out", str(out / "models"), "--fixed-model-name", f"nlu-{name}"],
                out / "train.log",
            ),
            1,
        )  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only", choices=sorted(CONFIGS), action="append")
    parser.add_argument("--skip-train", action="store_true", help="don't time a full training")
    args = parser.parse_args()

    names = args.only or list(CONFIGS)
    summary = OUT / "summary.json"
    results = {}
    if args.only and summary.exists():  # keep the other configuration's last figures
        results = json.loads(summary.read_text(encoding="utf-8"))
    for name in names:
        results[name] = bench(name, CONFIGS[name], args.folds, args.skip_train)
    results = {name: results[name] for name in CONFIGS if name in results}
    OUT.mkdir(parents=True, exist_ok=True)
    summary.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    print()
    header = (
        f"{'config':<10} {'file':<40} {'accuracy':>9} {'macro-F1':>9} {'train s':>8} {'cv s':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        train = "-" if r["train_seconds"] is None else f"{r['train_seconds']:.1f}"
        print(
            f"{name:<10} {r['config']:<40} {r['intent_accuracy']:>9.4f} "
            f"{r['intent_macro_f1']:>9.4f} {train:>8} {r['cv_seconds']:>7.1f}"
        )
    for name, r in results.items():
        if r["entity_f1"]:
            ents = ", ".join(f"{k}={v:.3f}" for k, v in r["entity_f1"].items())
            print(f"{name} entity F1: {ents}")
    print()
    others = [r for name, r in results.items() if name != "chosen"]
    if "chosen" in results and others:
        chosen = results["chosen"]
        better = all(
            (chosen["intent_accuracy"], chosen["intent_macro_f1"])
            >= (r["intent_accuracy"], r["intent_macro_f1"])
            for r in others
        )
        print(
            f"chosen: {chosen['config']}"
            + (
                ""
                if better
                else "  (WARNING: another pipeline scored higher now, revisit the choice)"
            )
        )
    else:
        print(f"chosen: {CONFIGS['chosen'].relative_to(ROOT)}")
    print(
        f"details: {(OUT / 'summary.json').relative_to(ROOT)} and {OUT.relative_to(ROOT)}/<name>/cv/"
    )


if __name__ == "__main__":
    main()
