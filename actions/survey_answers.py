"""Reading a customer's survey answer: a button payload, a number, a word or some stars.

Pure functions of the text and the survey file, so every accepted phrasing is testable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actions.survey_config import MetricDefinition, SurveyConfig

__all__ = ["Answer", "guess_answer", "is_feedback", "read_answer"]

_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_STARS = re.compile(r"^(?:[\u2b50\u2605\u2606\U0001f31f]\ufe0f?\s*)+$")
_FULL_STAR = re.compile(r"[\u2b50\u2605\U0001f31f]")
# "4", "4/5", "4 out of 5", "4 of 7", "a 4", "4 stars", "i'd say 4", "6!".
_NUMERIC = re.compile(
    r"^(?:(?:i(?:'|’)?d say|i say|i give (?:it|you)|i rate (?:it|you)|maybe|about|a|an)\s+)?"
    r"(\d{1,2}|zero|one|two|three|four|five|six|seven|eight|nine|ten)"
    r"(?:\s*(?:/|out of|of)\s*(\d{1,2}))?(?:\s*(?:stars?|points?))?$"
)
_FILLER = re.compile(
    r"^(?:(?:i am|i'm|im|i was|it was|it's|its|that was|that's|thats|honestly|well|hmm|um|so|"
    r"really|just|quite honestly|overall)\s+)+"
)
_NEGATION = re.compile(r"\b(?:not|no|never|hardly|isn't|wasn't|didn't|don't|nt)\b")
_PUNCT = re.compile(r"[^\w\s/'’\-]+")


@dataclass(frozen=True)
class Answer:
    """What the text means for the question asked: a score, a request to skip, or unreadable."""

    score: int | None = None
    skip: bool = False

    @property
    def readable(self) -> bool:
        return self.score is not None or self.skip


def read_answer(text: str, metric: MetricDefinition, config: SurveyConfig) -> Answer:
    """The whole message as an answer: '4', 'four', '4/5', '⭐⭐⭐⭐', a label or phrase
    ('very satisfied', "I'm happy"), or a skip ('no thanks')."""
    raw = (text or "").strip()
    if not raw:
        return Answer()
    if _STARS.match(raw):
        return _in_scale(len(_FULL_STAR.findall(raw)), metric)
    clean = _normalise(raw)
    if not clean:
        return Answer()
    numeric = _NUMERIC.match(clean)
    if numeric:
        return _numeric(numeric, metric)
    if clean in config.skip_phrases:
        return Answer(skip=True)
    score = metric.phrases.get(clean)
    if score is None:
        score = metric.phrases.get(_FILLER.sub("", clean))
    return Answer(score=score) if score is not None else Answer()


def guess_answer(text: str, metric: MetricDefinition) -> Answer:
    """A known phrase inside a longer sentence ("it was very easy, thanks"). Only worth trying
    once the message is clearly not a new question (the caller checks that first)."""
    score = _phrase_inside(_FILLER.sub("", _normalise(text or "")), metric)
    return Answer(score=score) if score is not None else Answer()


def is_feedback(text: str) -> bool:
    """A sentence rather than a stray word: worth keeping as the customer's comment."""
    words = re.findall(r"[^\W\d_]{2,}", text or "")
    return not (text or "").startswith("/") and len(words) >= 3


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = _PUNCT.sub(" ", text)
    return " ".join(text.split())


def _numeric(match: re.Match[str], metric: MetricDefinition) -> Answer:
    value_text, out_of = match.group(1), match.group(2)
    value = _NUMBER_WORDS.get(value_text)
    if value is None:
        value = int(value_text)
    if out_of is not None and int(out_of) != metric.scale_max:
        # "8/10" on a 1-5 question: the customer used another scale; do not guess.
        return Answer()
    return _in_scale(value, metric)


def _in_scale(value: int, metric: MetricDefinition) -> Answer:
    if metric.scale_min <= value <= metric.scale_max:
        return Answer(score=value)
    return Answer()


def _phrase_inside(text: str, metric: MetricDefinition) -> int | None:
    """The longest known phrase found as whole words, unless a negation comes before it
    ("not very satisfied" is not "very satisfied"): a guess there would corrupt the data."""
    for phrase in sorted(metric.phrases, key=len, reverse=True):
        found = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text)
        if found is None:
            continue
        if _NEGATION.search(text[: found.start()]) and not _NEGATION.search(phrase):
            return None
        return metric.phrases[phrase]
    return None
