"""The statistics of the outcomes report (app/outcomes/report/stats.py): Student's t
quantile against published table values and its own CDF, and the paired-t interval against
a hand-worked example."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.outcomes.report import stats

# t(0.975, df) from any statistics table (and scipy.stats.t.ppf), to 3 decimals.
TABLE = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    9: 2.262,
    10: 2.228,
    20: 2.086,
    30: 2.042,
    60: 2.000,
    120: 1.980,
}


@pytest.mark.parametrize(("df", "expected"), sorted(TABLE.items()))
def test_the_975_quantile_matches_the_tables(df: int, expected: float) -> None:
    assert stats.t_quantile(0.975, df) == pytest.approx(expected, abs=5e-4)


def test_other_quantiles_and_symmetry() -> None:
    assert stats.t_quantile(0.95, 10) == pytest.approx(1.812, abs=5e-4)
    assert stats.t_quantile(0.995, 4) == pytest.approx(4.604, abs=5e-4)
    assert stats.t_quantile(0.5, 7) == pytest.approx(0.0, abs=1e-9)
    assert stats.t_quantile(0.025, 4) == pytest.approx(-stats.t_quantile(0.975, 4))
    # df = 1 is the Cauchy distribution: the quantile is tan(pi (p - 1/2)).
    assert stats.t_quantile(0.9, 1) == pytest.approx(math.tan(math.pi * 0.4), rel=1e-9)
    # A very large df is close to the normal's 1.959964.
    assert stats.t_quantile(0.975, 100_000) == pytest.approx(1.959964, abs=1e-4)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="between"):
        stats.t_quantile(1.0, 3)
    with pytest.raises(ValueError, match="between"):
        stats.t_quantile(0.0, 3)
    with pytest.raises(ValueError, match="df"):
        stats.t_cdf(1.0, 0)


@given(p=st.floats(0.51, 0.999), df=st.integers(1, 500))
def test_the_quantile_inverts_the_cdf(p: float, df: int) -> None:
    assert stats.t_cdf(stats.t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)


@given(t=st.floats(-50, 50), df=st.integers(1, 200))
def test_the_cdf_is_symmetric_and_a_probability(t: float, df: int) -> None:
    low, high = stats.t_cdf(-t, df), stats.t_cdf(t, df)
    assert 0.0 <= high <= 1.0
    assert low + high == pytest.approx(1.0, abs=1e-12)


def test_the_paired_interval_by_hand() -> None:
    # Differences -8, -1, -8, 2, 10: mean -1; deviations -7, 0, -7, 3, 11, squares sum to
    # 228, variance 228 / 4 = 57, sd 7.5498; se 7.5498 / sqrt(5) = 3.3764; t(0.975, 4) =
    # 2.7764; half-width 9.3743.
    interval = stats.paired_ci([-8, -1, -8, 2, 10])
    assert interval is not None
    assert interval.low == pytest.approx(-10.3743, abs=1e-4)
    assert interval.high == pytest.approx(8.3743, abs=1e-4)


def test_no_interval_without_spread_to_estimate() -> None:
    assert stats.paired_ci([3.0]) is None
    assert stats.paired_ci([]) is None
    same = stats.paired_ci([2.0, 2.0, 2.0])
    assert same is not None
    assert (same.low, same.high) == (2.0, 2.0)


def test_suppression_is_below_five() -> None:
    assert [stats.suppressed(n) for n in range(7)] == [True] * 5 + [False] * 2
