"""The survey file a CX lead edits: the shipped one loads, and each mistake names its line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from actions.survey_config import (
    SurveyConfigError,
    load_survey_config,
    main,
    parse_survey_config,
)

SHIPPED = Path(__file__).resolve().parents[2] / "survey.yml"


def test_the_shipped_survey_asks_csat_then_ces() -> None:
    config = load_survey_config(SHIPPED)
    assert [m.id for m in config.metrics] == ["csat", "ces"]
    assert (config.metric("csat").scale_min, config.metric("csat").scale_max) == (1, 5)
    assert (config.metric("ces").scale_min, config.metric("ces").scale_max) == (1, 7)
    assert config.idle_timeout == timedelta(minutes=15)
    assert (
        config.question_text(config.metric("ces"))
        == "How much do you agree: Brightcart made it easy to handle my issue?\n"
        "1 = Strongly disagree · 7 = Strongly agree"
    )
    assert config.metric("csat").is_low(2) and not config.metric("csat").is_low(3)
    assert config.metric("ces").is_low(3) and not config.metric("ces").is_low(4)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "idle_timeout_minutes: 15",
            "idle_timeout_minutes: soon",
            "idle_timeout_minutes must be a whole number",
        ),
        ("idle_timeout_minutes: 15", "idle_timeout_minutes: 0", "must be at least 1"),
        ("scale: {min: 1, max: 7}", "scale: {min: 1, max: 1}", "scale.max must be above scale.min"),
        ("  - id: ces", "  - id: nps", "unknown metric 'nps'"),
        (
            "low_score_at_or_below: 2",
            "low_score_at_or_below: 5",
            "low_score_at_or_below must be within 1..4",
        ),
        ("cooldown_days: 0", "cooldown_days: -3", "cooldown_days must be at least 0"),
        ("  enabled: false", "  enabled: maybe", "nps.enabled must be true or false"),
        ("  interval_days: 90", "  interval_days: 0", "nps.interval_days must be at least 1"),
        ('    10: "Extremely likely"', '    7: "Fairly likely"', "name the ends of the scale"),
        ("sample_rate: 1.0", "sample_rate: 1.5", "sample_rate must be from 0 to 1, not 1.5"),
        ("sample_rate: 1.0", "sample_rate: half", "sample_rate must be a number"),
        (
            '      7: "Strongly agree"',
            '      8: "Strongly agree"',
            "score 8 is outside the scale 1..7",
        ),
    ],
)
def test_a_wrong_value_is_refused_with_its_line(old: str, new: str, message: str) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    broken = text.replace(old, new, 1)
    with pytest.raises(SurveyConfigError) as error:
        parse_survey_config(broken, source="survey.yml")
    assert message in str(error.value)
    assert str(error.value).startswith(f"survey.yml, line {line_of(broken, new)}: ")


def test_the_line_number_points_at_the_wrong_value() -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "idle_timeout_minutes: 15", "idle_timeout_minutes: soon"
    )
    with pytest.raises(
        SurveyConfigError,
        match=rf"survey.yml, line {line_of(text, 'idle_timeout_minutes: soon')}: ",
    ):
        parse_survey_config(text, source="survey.yml")


def test_a_missing_text_is_named() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    broken = "\n".join(
        line for line in text.splitlines() if not line.strip().startswith("gave_up:")
    )
    with pytest.raises(SurveyConfigError, match="'gave_up' is missing"):
        parse_survey_config(broken)


def test_the_check_command_exits_non_zero_on_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "survey.yml"
    bad.write_text("version: 1\nmetrics: [\n", encoding="utf-8")
    assert main([str(bad)]) == 1
    assert "not valid YAML" in capsys.readouterr().err
    assert main([str(SHIPPED)]) == 0


def test_hygiene_is_off_unless_set() -> None:
    shipped = load_survey_config(SHIPPED)
    assert (shipped.cooldown, shipped.sample_rate) == (timedelta(0), 1.0)
    text = SHIPPED.read_text(encoding="utf-8")
    bare = text.replace("cooldown_days: 0\n", "").replace("sample_rate: 1.0\n", "")
    config = parse_survey_config(bare)
    assert (config.cooldown, config.sample_rate) == (timedelta(0), 1.0)
    set_ = parse_survey_config(
        text.replace("cooldown_days: 0", "cooldown_days: 30").replace(
            "sample_rate: 1.0", "sample_rate: 0.25"
        )
    )
    assert (set_.cooldown, set_.sample_rate) == (timedelta(days=30), 0.25)


def test_nps_is_off_by_default_and_asked_on_0_to_10_when_on() -> None:
    shipped = load_survey_config(SHIPPED)
    assert shipped.nps is None and shipped.nps_interval == timedelta(days=90)
    assert shipped.next_metric("ces", nps=True) is None
    text = SHIPPED.read_text(encoding="utf-8").replace("  enabled: false", "  enabled: true")
    config = parse_survey_config(text.replace("interval_days: 90", "interval_days: 30"))
    assert config.nps is not None and config.nps_interval == timedelta(days=30)
    assert config.next_metric("ces") is None
    assert config.next_metric("ces", nps=True) is config.nps
    assert config.next_metric("nps", nps=True) is None and config.metric("nps") is config.nps
    assert config.question_text(config.nps) == (
        "How likely are you to recommend Brightcart to a friend?\n"
        "0 = Not at all likely · 10 = Extremely likely"
    )
    assert config.text("intro_with_nps") == "Before you go: three quick questions, one tap each."
