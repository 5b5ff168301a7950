"""Parses the survey file's YAML into a ``SurveyConfig``, checking every value: a wrong one
raises ``SurveyConfigError`` naming the file and the line, so a typo never reaches customers.
"""

from __future__ import annotations

from datetime import timedelta

import yaml

from actions.survey_definition import MetricDefinition, SurveyConfig, SurveyConfigError

__all__ = ["parse_survey_config"]

KNOWN_METRICS = ("csat", "ces")  # NPS is not in this list: it has its own block, ``nps:``
NPS_SCALE = (0, 10)
NPS_DEFAULT_QUESTION = "How likely are you to recommend {shop} to a friend?"
NPS_DEFAULT_LABELS = {0: "Not at all likely", 10: "Extremely likely"}
REQUIRED_TEXTS = (
    "intro",
    "ask_again",
    "comment_prompt",
    "thanks",
    "goodbye",
    "already_answered",
    "comment_noted",
    "skipped",
    "gave_up",
)
OPTIONAL_TEXTS = ("intro_with_nps",)  # the intro when NPS is added; else ``intro``


class _Checker:
    """Walks the YAML node tree so every error can say which line is wrong."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: yaml.Node, message: str) -> SurveyConfigError:
        return SurveyConfigError(f"{self.source}, line {node.start_mark.line + 1}: {message}")

    def mapping(self, node: yaml.Node, what: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values")
        return {str(key.value): value for key, value in node.value}

    def require(self, items: dict[str, yaml.Node], key: str, parent: yaml.Node) -> yaml.Node:
        if key not in items:
            raise self.fail(parent, f"'{key}' is missing")
        return items[key]

    def text(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.fail(node, f"{what} must be non-empty text")
        return str(node.value)

    def fraction(self, node: yaml.Node, what: str) -> float:
        try:
            if not isinstance(node, yaml.ScalarNode):
                raise ValueError
            value = float(str(node.value))
        except ValueError:
            raise self.fail(node, f"{what} must be a number, not {_show(node)}") from None
        if not 0.0 <= value <= 1.0:
            raise self.fail(node, f"{what} must be from 0 to 1, not {value:g}")
        return value

    def integer(self, node: yaml.Node, what: str, low: int | None = None) -> int:
        try:
            if not isinstance(node, yaml.ScalarNode):
                raise ValueError
            value = int(str(node.value))
        except ValueError:
            raise self.fail(node, f"{what} must be a whole number, not {_show(node)}") from None
        if low is not None and value < low:
            raise self.fail(node, f"{what} must be at least {low}, not {value}")
        return value

    def text_list(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return [(self.text(item, what).strip().lower(), item) for item in node.value]


def _show(node: yaml.Node) -> str:
    return (
        repr(node.value)
        if isinstance(node, yaml.ScalarNode)
        else f"a {node.tag.rsplit(':', 1)[-1]}"
    )


def parse_survey_config(text: str, source: str = "survey.yml") -> SurveyConfig:
    """Parses survey YAML text; raises SurveyConfigError naming the wrong line."""
    check = _Checker(source)
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise SurveyConfigError(f"{source}{where}: not valid YAML") from exc
    if root is None:
        raise SurveyConfigError(f"{source}: the file is empty")
    top = check.mapping(root, "the survey file")
    version = check.integer(check.require(top, "version", root), "version", low=1)
    shop = check.text(check.require(top, "shop_name", root), "shop_name")
    idle = check.integer(
        check.require(top, "idle_timeout_minutes", root), "idle_timeout_minutes", low=1
    )
    metrics = _metrics(check, check.require(top, "metrics", root))
    skips = frozenset(
        p for p, _ in check.text_list(check.require(top, "skip_phrases", root), "a skip phrase")
    )
    texts_node = check.require(top, "texts", root)
    texts_items = check.mapping(texts_node, "texts")
    texts = {
        key: check.text(check.require(texts_items, key, texts_node), f"texts.{key}")
        for key in REQUIRED_TEXTS
    }
    for key in OPTIONAL_TEXTS:
        texts[key] = (
            check.text(texts_items[key], f"texts.{key}") if key in texts_items else texts["intro"]
        )
    nps, nps_interval = _nps(check, top.get("nps"))
    cooldown = (
        check.integer(top["cooldown_days"], "cooldown_days", low=0) if "cooldown_days" in top else 0
    )
    rate = check.fraction(top["sample_rate"], "sample_rate") if "sample_rate" in top else 1.0
    return SurveyConfig(
        version=version,
        shop_name=shop,
        idle_timeout=timedelta(minutes=idle),
        metrics=metrics,
        skip_phrases=skips,
        texts=texts,
        cooldown=timedelta(days=cooldown),
        sample_rate=rate,
        nps=nps,
        nps_interval=nps_interval,
    )


def _nps(check: _Checker, node: yaml.Node | None) -> tuple[MetricDefinition | None, timedelta]:
    """The ``nps:`` block: ``enabled`` (default false), ``interval_days`` (default 90), and
    optionally ``question`` and the labels of the ends of the 0-10 scale."""
    if node is None:
        return None, timedelta(days=90)
    items = check.mapping(node, "nps")
    enabled = False
    if "enabled" in items:
        flag = items["enabled"]
        value = str(flag.value).lower() if isinstance(flag, yaml.ScalarNode) else ""
        if value not in ("true", "false"):
            raise check.fail(flag, f"nps.enabled must be true or false, not {_show(flag)}")
        enabled = value == "true"
    days = (
        check.integer(items["interval_days"], "nps.interval_days", low=1)
        if "interval_days" in items
        else 90
    )
    question = (
        check.text(items["question"], "nps.question")
        if "question" in items
        else NPS_DEFAULT_QUESTION
    )
    low, high = NPS_SCALE
    labels = dict(NPS_DEFAULT_LABELS)
    if "labels" in items:
        check.mapping(items["labels"], "nps.labels")
        for key, value in items["labels"].value:
            score = _score_key(check, str(key.value), key, low, high)
            if score not in (low, high):
                raise check.fail(key, f"nps.labels name the ends of the scale ({low} and {high})")
            labels[score] = check.text(value, "a label")
    metric = MetricDefinition(
        id="nps",
        question=question,
        scale_min=low,
        scale_max=high,
        labels=labels,
        low_score_at_or_below=low - 1,  # no comment asked: the CSAT one is enough
        phrases={label.strip().lower(): score for score, label in labels.items()},
    )
    return (metric if enabled else None), timedelta(days=days)


def _metrics(check: _Checker, node: yaml.Node) -> tuple[MetricDefinition, ...]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise check.fail(node, "metrics must be a non-empty list")
    seen: set[str] = set()
    result = []
    for item in node.value:
        metric = _metric(check, item)
        if metric.id in seen:
            raise check.fail(item, f"metric '{metric.id}' is listed twice")
        seen.add(metric.id)
        result.append(metric)
    return tuple(result)


def _metric(check: _Checker, node: yaml.Node) -> MetricDefinition:
    items = check.mapping(node, "a metric")
    id_node = check.require(items, "id", node)
    metric_id = check.text(id_node, "id")
    if metric_id not in KNOWN_METRICS:
        raise check.fail(
            id_node, f"unknown metric '{metric_id}' (known: {', '.join(KNOWN_METRICS)})"
        )
    scale_node = check.require(items, "scale", node)
    scale = check.mapping(scale_node, "scale")
    low = check.integer(check.require(scale, "min", scale_node), "scale.min", low=0)
    high_node = check.require(scale, "max", scale_node)
    high = check.integer(high_node, "scale.max")
    if high <= low or high - low > 10:
        raise check.fail(
            high_node, f"scale.max must be above scale.min ({low}) by 1 to 10, not {high}"
        )
    labels = _scored(check, items.get("labels"), low, high, "a label", node)
    threshold_node = check.require(items, "low_score_at_or_below", node)
    threshold = check.integer(threshold_node, "low_score_at_or_below")
    if not low <= threshold < high:
        raise check.fail(threshold_node, f"low_score_at_or_below must be within {low}..{high - 1}")
    phrases: dict[str, int] = {}
    phrases_node = items.get("phrases")
    if phrases_node is not None:
        check.mapping(phrases_node, "phrases")
        for key_node, value in phrases_node.value:
            score = _score_key(check, str(key_node.value), key_node, low, high)
            for phrase, _ in check.text_list(value, f"a phrase for {score}"):
                phrases[phrase] = score
    for score, label in labels.items():
        phrases.setdefault(label.strip().lower(), score)
    return MetricDefinition(
        id=metric_id,
        question=check.text(check.require(items, "question", node), "question"),
        scale_min=low,
        scale_max=high,
        labels=labels,
        low_score_at_or_below=threshold,
        phrases=phrases,
    )


def _score_key(check: _Checker, key: str, node: yaml.Node, low: int, high: int) -> int:
    try:
        score = int(key)
    except ValueError:
        raise check.fail(node, f"'{key}' is not a score") from None
    if not low <= score <= high:
        raise check.fail(node, f"score {score} is outside the scale {low}..{high}")
    return score


def _scored(
    check: _Checker, node: yaml.Node | None, low: int, high: int, what: str, parent: yaml.Node
) -> dict[int, str]:
    if node is None:
        raise check.fail(parent, "'labels' is missing")
    check.mapping(node, "labels")
    labels = {
        _score_key(check, str(key.value), key, low, high): check.text(value, what)
        for key, value in node.value
    }
    missing = [s for s in range(low, high + 1) if s not in labels]
    if missing:
        raise check.fail(node, f"labels are missing for {', '.join(map(str, missing))}")
    return labels
