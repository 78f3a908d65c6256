"""The statistics of the outcomes report, as pure functions of numbers: means, the paired-t
95% confidence interval of a mean change (with Student's t quantile worked out here, so the
project needs no scipy), and small-number suppression.

t quantile: the CDF of Student's t with k degrees of freedom is 1 - I_x(k/2, 1/2)/2 for
t >= 0, x = k / (k + t^2), with I the regularised incomplete beta function (evaluated by
its continued fraction, Numerical Recipes 6.4); the quantile is found by Newton's method
within a bisection bracket, to far better than the two decimals the report shows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

MIN_CELL = 5  # a figure from fewer children than this is not shown (no child identifiable)


def _beta_cf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_cf(a, b, x) / a
    return 1.0 - front * _beta_cf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_pdf(t: float, df: int) -> float:
    """The density of Student's t with `df` degrees of freedom."""
    log = (
        math.lgamma((df + 1) / 2)
        - math.lgamma(df / 2)
        - 0.5 * math.log(df * math.pi)
        - (df + 1) / 2 * math.log1p(t * t / df)
    )
    return math.exp(log)


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: int) -> float:
    """The t with P(T <= t) = p, for 0 < p < 1 and df >= 1: Newton's method on t_cdf,
    kept inside a bracket that bisection narrows whenever a Newton step would leave it."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be between 0 and 1")
    if df < 1:
        raise ValueError("df must be at least 1")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2.0
    x = (low + high) / 2.0
    for _ in range(200):
        error = t_cdf(x, df) - p
        if error == 0.0:
            return x
        if error < 0:
            low = x
        else:
            high = x
        step = x - error / t_pdf(x, df)
        following = step if low < step < high else (low + high) / 2.0
        if abs(following - x) <= 1e-14 * max(1.0, abs(x)):
            return following
        x = following
    return x


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def sample_sd(values: Sequence[float]) -> float:
    """The standard deviation with n - 1 in the denominator (n >= 2)."""
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / (len(values) - 1))


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def paired_ci(differences: Sequence[float], level: float = 0.95) -> Interval | None:
    """The paired-t confidence interval of the mean difference: mean +- t(1 - a/2, n - 1) x
    sd / sqrt(n). None for fewer than two differences (no spread to estimate)."""
    n = len(differences)
    if n < 2:
        return None
    m = mean(differences)
    half = t_quantile(1.0 - (1.0 - level) / 2.0, n - 1) * sample_sd(differences) / math.sqrt(n)
    return Interval(m - half, m + half)


def suppressed(n: int) -> bool:
    """A cell of fewer than MIN_CELL children is not reported."""
    return n < MIN_CELL
