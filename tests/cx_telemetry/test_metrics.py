"""The statistics behind every figure, against hand-computed values."""

from __future__ import annotations

import pytest

from cx_telemetry.metrics import mean_t, share_pct, t975


def test_share_of_nothing_is_null() -> None:
    e = share_pct(0, 0)
    assert (e.value, e.n, e.ci95) == (None, 0, None)


def test_wilson_interval_for_n_equal_one() -> None:
    e = share_pct(1, 1)
    assert e.value == 100.0 and e.n == 1
    assert e.ci95 is not None
    # lower bound = 1 / (1 + z^2) = 1 / 4.8415
    assert e.ci95[0] == pytest.approx(20.654, abs=1e-3) and e.ci95[1] == pytest.approx(100.0)


def test_wilson_interval_seven_of_ten() -> None:
    e = share_pct(7, 10)
    assert e.value == pytest.approx(70.0)
    assert e.ci95 == pytest.approx((39.678, 89.221), abs=1e-3)


def test_wilson_zero_of_four_stays_inside_0_100() -> None:
    e = share_pct(0, 4)
    assert e.ci95 is not None and e.ci95[0] == 0.0 and e.ci95[1] == pytest.approx(48.99, abs=1e-2)


def test_mean_with_t_interval() -> None:
    values = [1, 2, 3, 4, 5]  # mean 3, s = 1.5811, se = 0.7071, t(4) = 2.776
    e = mean_t(len(values), sum(values), sum(v * v for v in values))
    assert e.value == 3.0 and e.n == 5
    assert e.ci95 == pytest.approx((3 - 1.9629, 3 + 1.9629), abs=1e-3)


def test_mean_of_one_value_has_no_interval_and_of_none_no_value() -> None:
    assert mean_t(1, 60.0, 3600.0).as_dict() == {"value": 60.0, "n": 1, "ci95": None}
    assert mean_t(0, 0.0, 0.0).as_dict() == {"value": None, "n": 0, "ci95": None}


def test_identical_values_have_a_zero_width_interval() -> None:
    assert mean_t(3, 15.0, 75.0).ci95 == (5.0, 5.0)


def test_t_quantiles() -> None:
    assert t975(1) == 12.706
    assert t975(30) == 2.042
    assert t975(40) == pytest.approx(2.021, abs=1e-3)
    assert t975(1000) == pytest.approx(1.962, abs=1e-3)


def test_mean_intervals_are_clamped_to_the_scale() -> None:
    # CES 4, 6 and 5 (mean 5, s = 1, n = 3): 5 ± 4.303 / sqrt(3) * 1 = 2.52 to 7.48 -> 7 at most
    e = mean_t(3, 15.0, 77.0, 1.0, 7.0)
    assert e.ci95 == pytest.approx((2.5156, 7.0), abs=1e-3)
    assert mean_t(2, 2.0, 4.0 + 0.0, 0.0, None).ci95 == pytest.approx((0.0, 13.706), abs=1e-3)
