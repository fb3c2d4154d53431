"""Families declared once: records, the verdict's sides, colours and the ladder read them."""

from __future__ import annotations

from featcmp import families
from featcmp.families import END_TO_END, FAMILIES, HAND_SIDE, LEARNED_SIDE, UNSUPERVISED
from featcmp.pipelines import PIPELINES
from featcmp.records import Record
from tests.reportdata import make_record, record_json


def test_every_pipeline_names_a_declared_family() -> None:
    assert {spec.family for spec in PIPELINES.values()} <= set(families.BY_NAME)
    assert PIPELINES["kmeans_svm"].family == families.UNSUPERVISED
    assert PIPELINES["random_cnn_svm"].family == families.FIXED_RANDOM
    assert PIPELINES["cnn"].family == END_TO_END


def test_flatness_is_declared_not_derived_from_the_family() -> None:
    flat = {name for name, spec in PIPELINES.items() if spec.flat}
    assert {"cnn", "mlp"} <= flat
    assert "random_cnn_svm" not in flat  # a network too, but a step of a feature pipeline


def test_records_of_earlier_formats_read_learned_as_end_to_end() -> None:
    for schema in (1, 2):
        data = {**record_json("cnn", 0, [0, 1], [0, 1], family="learned"), "schema": schema}
        assert Record.from_json(data).family == END_TO_END
    now = Record.from_json(record_json("kmeans_svm", 0, [0, 1], [0, 1], family=UNSUPERVISED))
    assert now.family == UNSUPERVISED and now.to_json()["schema"] == 3


def test_verdict_sides() -> None:
    assert families.side("hand-crafted") == HAND_SIDE
    assert families.side(families.UNSUPERVISED) == HAND_SIDE  # k-means counts as hand-crafted
    assert families.side("learned") == families.side(END_TO_END) == LEARNED_SIDE
    assert families.side(families.FIXED_RANDOM) is None  # the control counts on neither side
    assert families.side("something else") is None


def test_ladder_order_and_colours_are_declared_once() -> None:
    ranks = [f.rank for f in FAMILIES]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert families.rank("hand-crafted") < families.rank(END_TO_END)
    assert all(f.hues and f.learned for f in FAMILIES)
    assert families.hues("unknown") == families.GRAYS


def test_the_verdict_names_a_side_best_of_another_family() -> None:
    # k-means counts on the hand-crafted side, but the verdict says what it is; a plain
    # hand-crafted row and a network learned end to end need no such word.
    from featcmp.report.bayes import Decide
    from featcmp.report.table import build_rows
    from featcmp.report.write import verdict_of

    y = [0, 1, 2, 3] * 5
    records = [
        make_record("kmeans_svm", 0, y, y, family=UNSUPERVISED),
        make_record("raw_svm", 0, y, [0] * 20),
        make_record("cnn", 0, y, [*y[:-1], 0], family=END_TO_END),
    ]
    (line,) = verdict_of(records, build_rows(records), Decide())[1]
    hand, learned = line.cells()[2:4]
    assert hand == "kmeans_svm, learned without labels (1.000)"
    assert learned == "cnn (0.950)"
