"""Intervals and corrections against hand-computed cases and Demšar's (2006) worked example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from featcmp.report.cd_diagram import cliques, critical_difference, friedman, q_alpha
from featcmp.report.stats import (
    corrected_resampled_t,
    holm,
    paired_difference,
    t_interval,
    wilson,
)

Z = 1.959963984540054  # the 97.5% normal quantile


def test_wilson_eight_of_ten():
    # p = 0.8, n = 10, z^2 = 3.8415: centre (0.8 + z^2/20) / (1 + z^2/10) = 0.71674,
    # half z / (1 + z^2/10) * sqrt(0.016 + z^2/400) = 0.22658 -> [0.4902, 0.9433].
    ci = wilson(8, 10)
    assert (ci.low, ci.high) == pytest.approx((0.49016, 0.94332), abs=1e-5)


def test_wilson_none_right_does_not_collapse():
    # p = 0: centre = half = (z^2/20) / (1 + z^2/10) = 0.13877 -> [0, 0.27753].
    ci = wilson(0, 10)
    assert ci.low == 0.0
    assert ci.high == pytest.approx(2 * (Z**2 / 20) / (1 + Z**2 / 10), rel=1e-9)
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_holm_step_down_by_hand():
    # Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> raised to 0.06
    # (adjusted values never decrease along the sorted order); back in input order.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == [1.0, 1.0]  # 2 * 0.5 capped at 1, then carried
    assert holm([0.02]) == [0.02] and holm([]) == []


def test_corrected_resampled_t_by_hand():
    # Differences 2, 4, 6 over J = 3 splits of 90 train / 10 test: mean 4, s^2 = 4;
    # corrected variance (1/3 + 10/90) * 4 = 16/9, se = 4/3, t = 3 on 2 df.
    # With 2 df, P(|T| > t) = 1 - t / sqrt(t^2 + 2) = 1 - 3/sqrt(11) = 0.095466.
    r = corrected_resampled_t([2.0, 4.0, 6.0], n_train=90, n_test=10)
    assert r.t == pytest.approx(3.0)
    assert r.df == 2
    assert r.p == pytest.approx(1 - 3 / math.sqrt(11), rel=1e-9)
    # Interval: 4 ± t_{0.975, 2} * 4/3 = 4 ± 4.302653 * 4/3.
    assert (r.interval.low, r.interval.high) == pytest.approx(
        (4 - 4.302653 * 4 / 3, 4 + 4.302653 * 4 / 3), abs=1e-5
    )
    # The uncorrected t-test would claim more: t = 4 / sqrt(4/3) = 3.46.
    plain = t_interval([2.0, 4.0, 6.0])
    assert plain.high - plain.low < r.interval.high - r.interval.low


def test_paired_difference_agresti_min_by_hand():
    # b = 9, c = 1, n = 20: add 1/2 per cell -> p12 = 9.5/22, p21 = 1.5/22, d = 8/22 = 0.36364;
    # var = (p12 + p21 - d^2) / 22 = 0.016717, half = z * 0.129293 = 0.25341.
    ci = paired_difference(9, 1, 20)
    assert (ci.low, ci.high) == pytest.approx((0.110226, 0.617047), abs=1e-6)


# Demšar (2006), Table 6: AUC of C4.5, C4.5+m, C4.5+cf, C4.5+m+cf on 14 data sets.
DEMSAR = np.array(
    [
        [0.763, 0.768, 0.771, 0.798],
        [0.599, 0.591, 0.590, 0.569],
        [0.954, 0.971, 0.968, 0.967],
        [0.628, 0.661, 0.654, 0.657],
        [0.882, 0.888, 0.886, 0.898],
        [0.936, 0.931, 0.916, 0.931],
        [0.661, 0.668, 0.609, 0.685],
        [0.583, 0.583, 0.563, 0.625],
        [0.775, 0.838, 0.866, 0.875],
        [1.000, 1.000, 1.000, 1.000],
        [0.940, 0.962, 0.965, 0.962],
        [0.619, 0.666, 0.614, 0.669],
        [0.972, 0.981, 0.975, 0.975],
        [0.957, 0.978, 0.946, 0.970],
    ]
)


def test_friedman_matches_demsar_worked_example():
    scores = DEMSAR.copy()
    # The paper's ranks (2.893 for C4.5+cf, 1.964 for C4.5+m+cf) put C4.5+cf ahead on the
    # 'voting' row, which the three-decimal table prints as a tie; break it the same way.
    scores[12, 2] += 1e-5
    r = friedman(scores, ["C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"], [str(i) for i in range(14)])
    assert r.average_ranks == pytest.approx([3.143, 2.000, 2.893, 1.964], abs=1e-3)
    assert r.chi2 == pytest.approx(9.28, abs=0.005)  # the paper: chi2_F = 9.28
    assert r.f == pytest.approx(3.69, abs=0.005)  # F_F = 3.69 on (3, 39) degrees of freedom
    assert r.q_alpha == pytest.approx(2.569, abs=5e-4)
    assert r.cd == pytest.approx(1.25, abs=0.005)  # CD = 2.569 * sqrt(4 * 5 / (6 * 14))
    assert r.p_f < 0.05  # the paper rejects the null hypothesis at 0.05
    # Best and worst ranks differ by 1.18 < CD: Nemenyi finds no pair different at 0.05.
    assert cliques(r.average_ranks, r.cd) == [(0, 3)]


@pytest.mark.parametrize(
    ("k", "q"), [(2, 1.960), (3, 2.343), (4, 2.569), (5, 2.728), (6, 2.850), (10, 3.164)]
)
def test_nemenyi_q_matches_demsar_table_5a(k, q):
    assert q_alpha(k) == pytest.approx(q, abs=1e-3)


def test_critical_difference_shrinks_with_more_datasets():
    assert critical_difference(4, 14) == pytest.approx(2.569 * math.sqrt(20 / 84), abs=1e-3)
    assert critical_difference(4, 28) < critical_difference(4, 14)
