"""Every way a customer may answer a survey question, read against the shipped survey.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.survey_answers import guess_answer, read_answer
from actions.survey_config import load_survey_config

CONFIG = load_survey_config(Path(__file__).resolve().parents[2] / "survey.yml")
CSAT, CES = CONFIG.metric("csat"), CONFIG.metric("ces")


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("4", 4),
        (" 5 ", 5),
        ("four", 4),
        ("Four!", 4),
        ("4/5", 4),
        ("4 out of 5", 4),
        ("2 stars", 2),
        ("⭐⭐⭐⭐", 4),
        ("⭐️⭐️⭐️", 3),
        ("★★★★★", 5),
        ("very satisfied", 5),
        ("Very Satisfied", 5),
        ("I'm very satisfied", 5),
        ("dissatisfied", 2),
        ("terrible", 1),
        ("it was ok", 3),
        ("not satisfied", 2),
        ("i'd say 3", 3),
    ],
)
def test_csat_answers_are_understood(text: str, score: int) -> None:
    assert read_answer(text, CSAT, CONFIG).score == score


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("7", 7),
        ("super easy", 7),
        ("very easy", 7),
        ("easy", 6),
        ("Strongly disagree", 1),
        ("somewhat agree", 5),
        ("hard", 2),
        ("6/7", 6),
    ],
)
def test_ces_answers_are_understood(text: str, score: int) -> None:
    assert read_answer(text, CES, CONFIG).score == score


@pytest.mark.parametrize("text", ["skip", "No thanks", "no thank you", "not now", "nope"])
def test_skip_is_respected(text: str) -> None:
    answer = read_answer(text, CSAT, CONFIG)
    assert answer.skip and answer.score is None


@pytest.mark.parametrize(
    "text",
    [
        "6",
        "0",
        "8/10",
        "⭐⭐⭐⭐⭐⭐",
        "banana",
        "",
        "where is my order 10002",
        "4 and also my refund",
    ],
)
def test_out_of_scale_or_unclear_answers_are_not_guessed(text: str) -> None:
    assert not read_answer(text, CSAT, CONFIG).readable


def test_a_phrase_inside_a_sentence_counts_unless_negated() -> None:
    assert guess_answer("honestly it was very easy, thanks!", CES).score == 7
    assert guess_answer("I am not very satisfied with this", CSAT).score is None
