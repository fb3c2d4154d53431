"""The Bayesian comparisons: against baycomp 1.0.3 on fixed inputs, by hand, and calibrated."""

from __future__ import annotations

import numpy as np
import pytest

from featcmp.report import bayes
from featcmp.report.bayes import Decide

# baycomp is not a dependency, not even for tests: its 1.0.3 distribution installs a top-level
# `tests` package that shadows this one. Its outputs below were read off it, by the calls named.

# Per-seed accuracies of two pipelines, b (x) and a (y), over ten re-splits.
X = [0.81, 0.83, 0.80, 0.84, 0.82, 0.79, 0.85, 0.83, 0.81, 0.82]
Y = [0.83, 0.84, 0.83, 0.85, 0.82, 0.82, 0.86, 0.85, 0.82, 0.84]
DIFFS = [y - x for x, y in zip(X, Y, strict=True)]

# baycomp.CorrelatedTTest.probs(np.array(X), np.array(Y), rope=0.01, runs=1) -> (left, rope,
# right): ten folds of one run, rho/(1-rho) = 1/9, as n_test/n_train = 100/900.
BAYCOMP_RUNS_1 = (0.00012077211235489905, 0.10461172816313169, 0.8952674997245134)
# ... runs=2: five folds, rho/(1-rho) = 1/4, as n_test/n_train = 200/800.
BAYCOMP_RUNS_2 = (0.0006939094084196449, 0.15990071965871133, 0.839405370932869)
# Six datasets: baycomp.SignedRankTest.probs(np.array(XS), np.array(YS), rope=0.01,
# random_state=0, nsamples=20000) -> (left, rope, right)
XS = [0.90, 0.85, 0.70, 0.95, 0.60, 0.88]
YS = [0.93, 0.84, 0.74, 0.96, 0.66, 0.90]
BAYCOMP_SIGNED_RANK = (0.0046, 0.01375, 0.98165)


def flipped(probs):
    """baycomp's (x ahead, within, y ahead) as ours, (a = y ahead, within, b = x ahead)."""
    return tuple(reversed(probs))


@pytest.mark.parametrize(
    ("n_train", "n_test", "expected"), [(900, 100, BAYCOMP_RUNS_1), (800, 200, BAYCOMP_RUNS_2)]
)
def test_correlated_t_matches_baycomp(n_train, n_test, expected):
    got = bayes.correlated_t(DIFFS, n_train, n_test, rope=0.01)
    assert got == pytest.approx(flipped(expected), abs=1e-12)


def test_signed_rank_matches_baycomp():
    diffs = [y - x for x, y in zip(XS, YS, strict=True)]
    assert bayes.signed_rank(diffs, rope=0.01) == pytest.approx(flipped(BAYCOMP_SIGNED_RANK))


def test_by_hand_zero_spread_is_a_point():
    # Every seed +3 points: no spread, the posterior is a point beyond the ROPE.
    assert bayes.correlated_t([0.03, 0.03, 0.03], 800, 200, 0.01) == (1.0, 0.0, 0.0)
    assert bayes.correlated_t([0.005] * 4, 800, 200, 0.01) == (0.0, 1.0, 0.0)


def test_by_hand_two_seeds():
    # J = 2: mean 0.04, s^2 = 0.0002, scale = sqrt((1/2 + 1/4) * 0.0002) = sqrt(0.00015);
    # df = 1 (Cauchy): P(d > 0.01) = 1/2 + atan((0.04 - 0.01) / scale) / pi.
    scale = (0.75 * 0.0002) ** 0.5
    ahead = 0.5 + np.arctan(0.03 / scale) / np.pi
    behind = 0.5 - np.arctan(0.05 / scale) / np.pi
    got = bayes.correlated_t([0.03, 0.05], 800, 200, 0.01)
    assert got == pytest.approx((ahead, 1 - ahead - behind, behind), abs=1e-12)


def test_agreement_table_of_one_split():
    decide = Decide()
    big = bayes.agreement_outcomes("cnn", "hog", 120, 20, 1000, decide)  # +10 points
    assert big.decided() == "a" and big.ahead > 0.999 and big.question == bayes.ONE_SPLIT
    same = bayes.agreement_outcomes("cnn", "hog", 2, 2, 10_000, decide)  # 4 of 10,000 differ
    assert same.decided() == "equivalent"
    small = bayes.agreement_outcomes("cnn", "hog", 12, 8, 200, decide)  # +2 points, 200 images
    assert small.decided() is None
    assert sum(small.probs()) == pytest.approx(1)
    # Fixed seed: the same table gives the same probabilities.
    assert bayes.agreement_outcomes("cnn", "hog", 12, 8, 200, decide) == small


def test_more_seeds_or_a_floor():
    decide = Decide()
    # +2 points, 1 point spread, a small overlap: a few more seeds decide it.
    close = bayes.resplit_outcomes("a", "b", [0.01, 0.03, 0.02], 9000, 1000, decide)
    assert close.decided() is None and close.more_seeds is not None and close.more_seeds >= 1
    assert close.more_reaches == "a"  # the outcome they would likely reach, named
    assert "more seeds would likely decide it (a ahead), ~" in close.words(minutes_per_seed=2.0)
    # Centred on zero with a narrow spread: more seeds would find them equivalent.
    same = bayes.resplit_outcomes("a", "b", [0.002, -0.006, 0.004], 9000, 1000, decide)
    assert same.decided() is None and same.more_reaches == "equivalent"
    assert "would likely decide it (practically equivalent)" in same.words()
    # At the ROPE's edge with a floor narrower than the ROPE: no N, but not "cannot".
    edge = bayes.resplit_outcomes("a", "b", [0.008, 0.012, 0.010], 9000, 1000, decide)
    assert edge.more_seeds is None and edge.floor is not None and edge.floor < 1
    assert "sits at the edge of the ROPE" in edge.words()
    # +1 point, 4 points spread, n_test/n_train = 1/4: the overlap term keeps it undecided.
    wide = bayes.resplit_outcomes("a", "b", [0.05, -0.03, 0.01], 800, 200, decide)
    assert wide.more_seeds is None and wide.floor is not None
    assert "more seeds cannot decide it" in wide.words()
    assert "a larger training share, more data, or a wider ROPE" in wide.words()


def test_the_three_wordings():
    decide = Decide()

    def words(p):
        return bayes.Outcomes("cnn", "hog_svm", *p, decide, bayes.RESPLIT).words()

    assert words((0.98, 0.02, 0.0)) == "cnn ahead (P = 0.98 that it leads by more than 1 point)"
    assert words((0.01, 0.03, 0.96)) == (
        "hog_svm ahead (P = 0.96 that it leads by more than 1 point)"
    )
    assert words((0.02, 0.96, 0.02)) == "practically equivalent (P = 0.96 within ±1 point)"
    assert words((0.62, 0.30, 0.08)).startswith(
        "undecided (P = 0.62 / 0.30 / 0.08 for cnn ahead / within ±1 point / hog_svm ahead): "
    )
    assert Decide(rope=0.02).rope_text() == "2 points"


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="rope"):
        Decide(rope=-0.1)
    with pytest.raises(ValueError, match="decide"):
        Decide(threshold=1.5)


@pytest.mark.parametrize("seeds", [3, 5, 10])
def test_no_difference_is_rarely_called_ahead(seeds):
    # 1,000 comparisons with no true difference: "a ahead" or "b ahead" in at most 5%.
    assert bayes.decision_rate(0.0, seeds, reps=1000, rng=np.random.default_rng(23)) <= 0.05


def test_a_true_difference_is_mostly_decided():
    rate = bayes.decision_rate(0.03, 10, reps=200, rng=np.random.default_rng(5))
    assert rate > 0.5


def test_facing_names_the_other_side_first():
    o = bayes.Outcomes("cnn", "hog_svm", 0.7, 0.2, 0.1, Decide(), bayes.RESPLIT)
    flipped = o.facing("hog_svm")
    assert (flipped.a, flipped.b, flipped.probs()) == ("hog_svm", "cnn", (0.1, 0.2, 0.7))
    assert o.facing("cnn") is o
