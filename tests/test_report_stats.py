"""Seeds aggregate to mean ± std; McNemar's exact test matches hand-computed p-values."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import pytest

from featcmp.report.significance import compare_pipelines, discordant, mcnemar_exact
from featcmp.report.table import build_rows
from tests.reportdata import make_record

Y = [0, 1, 2, 3] * 5  # 20 test images


def predictions_with_errors(n_wrong: int) -> list[int]:
    return [(t + 1) % 4 if i < n_wrong else t for i, t in enumerate(Y)]


def test_mean_and_sample_std_over_seeds():
    # Accuracies 0.80, 0.90, 1.00 (4, 2, 0 errors of 20): mean 0.9; sample std
    # sqrt(((-0.1)^2 + 0 + 0.1^2) / (3 - 1)) = 0.1.
    records = [
        make_record("hog_svm", seed, Y, predictions_with_errors(wrong))
        for seed, wrong in ((0, 4), (1, 2), (2, 0))
    ]
    failed = replace(make_record("hog_svm", 3, Y, Y), status="failed", accuracy=None)
    (row,) = build_rows([*records, failed])
    assert row.runs == 3 and row.failed == 1
    assert row.accuracy_mean == pytest.approx(0.9)
    assert row.accuracy_std == pytest.approx(0.1)
    assert row.accuracy_text() == "0.900 ± 0.100"


def test_training_sizes_are_separate_rows():
    records = [
        make_record("cnn", 0, Y, predictions_with_errors(10), n_train=50),
        make_record("cnn", 0, Y, predictions_with_errors(2), n_train=500),
    ]
    rows = {r.n_train: r for r in build_rows(records)}
    assert rows[50].accuracy_mean == pytest.approx(0.5)
    assert rows[500].accuracy_mean == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [
        # n = 10 discordant pairs, 1 against 9: P(X <= 1) = (C(10,0) + C(10,1)) / 2^10 = 11/1024,
        # two-sided p = 22/1024 = 0.021484375.
        (1, 9, 22 / 1024),
        # 0 against 5: P(X <= 0) = 1/32, p = 2/32 = 0.0625.
        (0, 5, 0.0625),
        # 3 against 3: the tail already holds half the mass and more, so p is capped at 1.
        (3, 3, 1.0),
        # No discordant pairs: no evidence either way.
        (0, 0, 1.0),
    ],
)
def test_mcnemar_exact_matches_hand_computation(b, c, expected):
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)
    assert mcnemar_exact(c, b) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("b", "c"), [(40, 60), (480, 560), (1400, 1550)])
def test_mcnemar_log_space_agrees_with_exact_integers(b, c):
    n, k = b + c, min(b, c)
    exact = min(Fraction(1), 2 * Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2**n))
    assert mcnemar_exact(b, c) == pytest.approx(float(exact), rel=1e-9)


def test_mcnemar_rejects_negative_counts():
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 3)


def test_discordant_pairs_counted_per_image():
    y = [0, 0, 1, 1, 2]
    a = [0, 0, 1, 0, 0]  # right on 0, 1, 2
    b = [1, 0, 0, 1, 2]  # right on 1, 3, 4
    assert discordant(y, a, b) == (2, 2)  # a only: 0, 2; b only: 3, 4


def test_pairs_pool_discordant_counts_over_seeds():
    # Seed 0: hog wrong on images 0-2, raw wrong on image 3 -> b (only raw right) = 3, c = 1.
    # Seed 1: hog wrong on images 4-7, raw never -> b = 4, c = 0. Pooled b = 7, c = 1:
    # p = 2 * (C(8,0) + C(8,1)) / 2^8 = 18/256 = 0.0703125.
    hog0 = [(t + 1) % 4 if i in (0, 1, 2) else t for i, t in enumerate(Y)]
    raw0 = [(t + 1) % 4 if i == 3 else t for i, t in enumerate(Y)]
    hog1 = [(t + 1) % 4 if i in (4, 5, 6, 7) else t for i, t in enumerate(Y)]
    raw1 = list(Y)
    records = [
        make_record("hog_svm", 0, Y, hog0),
        make_record("raw_svm", 0, Y, raw0),
        make_record("hog_svm", 1, Y, hog1),
        make_record("raw_svm", 1, Y, raw1),
    ]
    (pair,) = compare_pipelines(records)
    assert (pair.a, pair.b) == ("raw_svm", "hog_svm")  # the better one first
    assert (pair.b_total, pair.c_total) == (7, 1)
    assert pair.p == pytest.approx(18 / 256)
    # Accuracy gaps: seed 0 (19 - 17) / 20 = 10 points, seed 1 4 / 20 = 20 points; mean 15.
    assert pair.diff_points == pytest.approx(15.0)
    assert [(s.seed, s.b, s.c) for s in pair.seeds] == [(0, 3, 1), (1, 4, 0)]
    assert not pair.shared_test_set
    # The seeds re-split the data: Nadeau-Bengio over the differences 10 and 20 points with
    # 100 train / 20 test images: mean 15, s^2 = 50, se = sqrt((1/2 + 20/100) * 50) = sqrt(35),
    # t = 15 / sqrt(35) = 2.535 on 1 df; interval 15 ± 12.706 * sqrt(35) = [-60.2, +90.2].
    assert pair.resampled is not None
    assert pair.resampled.t == pytest.approx(15 / math.sqrt(35))
    assert (pair.interval.low, pair.interval.high) == pytest.approx((-60.17, 90.17), abs=0.01)
    assert pair.p_holm == pair.p  # the only pair of the report: Holm leaves it as it is
    assert pair.text().endswith(
        "; +15.0 points [-60.2, +90.2] (Nadeau-Bengio, at least Agresti-Min), "
        "McNemar p = 0.070 (Holm 0.070) over 2 seeds"
    )
    # Two seeds, 10 and 20 points: the correlated t-test has not decided it yet.
    assert pair.text().startswith("raw_svm vs hog_svm: undecided (P = 0.87 / 0.01 / 0.11 for ")


def test_only_runs_on_the_same_test_set_are_paired():
    records = [
        make_record("hog_svm", 0, Y, Y, test_fingerprint="A"),
        make_record("raw_svm", 0, Y, Y, test_fingerprint="B"),  # another test set: no pair
        make_record("cnn", 0, Y, Y, n_train=10, test_fingerprint="A"),  # another size: no pair
    ]
    assert compare_pipelines(records) == []


def test_a_test_set_shared_by_seeds_is_flagged():
    records = [
        make_record(p, s, Y, Y, test_fingerprint="own-test-split")
        for p in ("hog_svm", "cnn")
        for s in (0, 1)
    ]
    (pair,) = compare_pipelines(records)
    assert pair.shared_test_set
    assert pair.p == 1.0 and pair.diff_points == 0.0


def test_small_p_values_read_as_a_bound():
    wrong = predictions_with_errors(20)
    records = []
    for seed in range(3):
        records += [make_record("cnn", seed, Y, Y), make_record("hog_svm", seed, Y, wrong)]
    (pair,) = compare_pipelines(records)
    # Three seeds agreeing exactly give the t interval no width; it is widened to the
    # Agresti-Min interval of one test set: b = 20, c = 0, n = 20 -> p12 = 20.5/22,
    # p21 = 0.5/22, d = 20/22, se = sqrt((21/22 - d^2) / 22) = 0.07631, low d - 1.96 se = 0.760.
    assert pair.text() == (
        "cnn vs hog_svm: cnn ahead (P = 1.00 that it leads by more than 1 point) (for a new "
        "training set of this size from this data); +100.0 points [+76.0, +100.0] (Nadeau-Bengio, "
        "at least Agresti-Min), McNemar p < 0.001 (Holm < 0.001) over 3 seeds"
    )


def test_minutes_per_seed_come_from_the_runs_own_times():
    from dataclasses import replace

    from featcmp.report.significance import seed_minutes

    records = [
        replace(make_record("cnn", s, Y, Y), fit_seconds=100.0 + s, predict_seconds=2.0)
        for s in range(3)
    ] + [
        replace(make_record("hog_svm", s, Y, Y), fit_seconds=20.0, predict_seconds=0.0)
        for s in range(3)
    ]
    # Medians per row, summed: (101 + 2) + 20 = 123 seconds per seed.
    assert seed_minutes(records) == {("scenes", 100): pytest.approx(123 / 60)}
