"""The survey file CX leads edit (`survey.yml`): wording, scales, labels, order, thresholds.

Loads it (``load_survey_config``) and checks it by hand (``python -m actions.survey_config``). A
wrong value fails loudly at start-up with the file and line, so a typo never reaches customers.
The definition's types live in ``actions.survey_definition``, the checks in
``actions.survey_yaml``; both are re-exported here, the import path the actions use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from actions.survey_definition import MetricDefinition, SurveyConfig, SurveyConfigError
from actions.survey_yaml import parse_survey_config

__all__ = [
    "MetricDefinition",
    "SurveyConfig",
    "SurveyConfigError",
    "load_survey_config",
    "parse_survey_config",
]


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("CX_SURVEY_CONFIG") or "survey.yml")


def load_survey_config(path: str | os.PathLike[str] | None = None) -> SurveyConfig:
    """Reads and checks the survey file (`CX_SURVEY_CONFIG`, default `./survey.yml`)."""
    file = Path(path) if path is not None else default_path()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SurveyConfigError(f"{file}: cannot read the survey file ({exc.strerror})") from exc
    return parse_survey_config(text, source=str(file))


def main(argv: list[str] | None = None) -> int:
    """`python -m actions.survey_config [FILE]`: checks the survey file, exit 1 if wrong."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    try:
        config = load_survey_config(args[0] if args else None)
    except SurveyConfigError as exc:
        print(f"survey file error: {exc}", file=sys.stderr)
        return 1
    print(
        f"survey file ok: {', '.join(m.id for m in config.metrics)}, "
        f"idle timeout {config.idle_timeout.total_seconds() / 60:g} min, "
        f"cooldown {config.cooldown.days} days, sample rate {config.sample_rate:g}, "
        + (f"NPS every {config.nps_interval.days} days" if config.nps else "NPS off")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
