"""The tests behind "a real change", against values R gives (``t.test``, ``prop.test``)."""

from __future__ import annotations

import pytest

from cx_telemetry.stats import betainc, say, say_gap, t_two_sided_p, two_proportions, welch


def test_t_tail_matches_the_tables() -> None:
    assert t_two_sided_p(2.228, 10) == pytest.approx(0.05, abs=2e-4)
    assert t_two_sided_p(2.086, 20) == pytest.approx(0.05, abs=2e-4)
    assert t_two_sided_p(1.0, 1) == pytest.approx(0.5, abs=1e-9)  # Cauchy: P(|T| > 1) = 1/2
    assert t_two_sided_p(1.959964, 1e7) == pytest.approx(0.05, abs=1e-5)
    assert betainc(2.0, 3.0, 0.4) == pytest.approx(0.5248, abs=1e-4)


def test_two_proportions_like_prop_test_without_continuity_correction() -> None:
    c = two_proportions(60, 100, 45, 100)  # prop.test(c(60, 45), c(100, 100), correct = FALSE)
    assert c.difference == pytest.approx(15.0) and c.p_value == pytest.approx(0.03367, abs=1e-5)
    assert c.significant
    assert two_proportions(0, 5, 0, 7).p_value == 1.0  # both 0%: no evidence of a change
    assert two_proportions(3, 5, 0, 0).difference is None  # nothing to compare with


def test_welch_like_t_test() -> None:
    x, y = [1, 2, 3, 4, 5], [2, 4, 6, 8, 10]  # t.test(x, y): t = -1.8974, df = 5.8824
    c = welch(5, sum(x), sum(v * v for v in x), 5, sum(y), sum(v * v for v in y))
    assert c.difference == -3.0 and c.p_value == pytest.approx(0.1075, abs=1e-4)
    assert not c.significant
    assert welch(1, 5.0, 25.0, 4, 8.0, 20.0).p_value is None  # one answer has no spread


def test_plain_words() -> None:
    real = two_proportions(60, 100, 45, 100)
    assert say(real, "15.0 points") == (
        "up 15.0 points on the previous period: a real change (p = 0.034)"
    )
    noise = two_proportions(50, 100, 48, 100)
    assert "within chance, not a change" in say(noise, "2.0 points")
    assert say(noise, "").startswith("the same as the previous period")
    assert say_gap(real, "15.0 points", "the bot", "the agents") == (
        "the bot is 15.0 points higher than the agents: a real difference (p = 0.034)"
    )
