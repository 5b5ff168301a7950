"""The survey's definition as the actions use it: its questions (``MetricDefinition``), wording,
hygiene and NPS settings (``SurveyConfig``), and the error a wrong survey file raises.

``actions.survey_yaml`` builds these from `survey.yml`; ``actions.survey_config`` loads the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["MetricDefinition", "SurveyConfig", "SurveyConfigError"]


class SurveyConfigError(ValueError):
    """The survey file is missing or one of its values is wrong; the message names the line."""


@dataclass(frozen=True)
class MetricDefinition:
    """One survey question: `id` is the metric stored with every answer (csat, ces or nps).
    ``labels`` name every score, or only the ends of the scale (NPS)."""

    id: str
    question: str
    scale_min: int
    scale_max: int
    labels: Mapping[int, str]
    low_score_at_or_below: int
    phrases: Mapping[str, int]

    def is_low(self, score: int) -> bool:
        """A low score asks the customer for one optional comment."""
        return score <= self.low_score_at_or_below


@dataclass(frozen=True)
class SurveyConfig:
    version: int
    shop_name: str
    idle_timeout: timedelta
    metrics: tuple[MetricDefinition, ...]
    skip_phrases: frozenset[str]
    texts: Mapping[str, str]
    # hygiene: no survey for a customer surveyed in the last ``cooldown`` (zero: off), and only
    # a ``sample_rate`` share of the conversations asked (1.0: all)
    cooldown: timedelta = timedelta(0)
    sample_rate: float = 1.0
    # the relationship question, added after the others at most once per customer per
    # ``nps_interval``; None while it is off (the default)
    nps: MetricDefinition | None = None
    nps_interval: timedelta = timedelta(days=90)

    def metric(self, metric_id: str) -> MetricDefinition:
        for metric in self.metrics:
            if metric.id == metric_id:
                return metric
        if self.nps is not None and self.nps.id == metric_id:
            return self.nps
        raise KeyError(metric_id)

    def next_metric(self, metric_id: str | None, nps: bool = False) -> MetricDefinition | None:
        """The question after `metric_id` (the first one for None), or None when done; the NPS
        question after the last one when ``nps`` (it is due for this customer)."""
        if self.nps is not None and metric_id == self.nps.id:
            return None
        ids = [m.id for m in self.metrics]
        index = 0 if metric_id is None else ids.index(metric_id) + 1
        if index < len(self.metrics):
            return self.metrics[index]
        return self.nps if nps else None

    def question_text(self, metric: MetricDefinition) -> str:
        """The question, with the ends of its scale named under it."""
        low, high = metric.scale_min, metric.scale_max
        ends = f"{low} = {metric.labels[low]} · {high} = {metric.labels[high]}"
        return f"{self.text_of(metric.question)}\n{ends}"

    def text(self, key: str) -> str:
        """One of the survey's texts, with the shop's name filled in."""
        return self.text_of(self.texts[key])

    def text_of(self, text: str) -> str:
        return text.replace("{shop}", self.shop_name)
