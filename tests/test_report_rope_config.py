"""`report: {rope, decide}` in a config: checked, kept in each record, not part of a job's id."""

from __future__ import annotations

import pytest

from featcmp.errors import ConfigError
from featcmp.run.jobs import expand_jobs, parse_config

BASE = {"dataset": {"source": "digits"}, "pipelines": ["raw_svm"], "seeds": [0, 1]}


def test_the_report_settings_reach_each_record_but_not_the_job_id():
    plain = expand_jobs(parse_config(BASE))
    wide = expand_jobs(parse_config({**BASE, "report": {"rope": 0.02, "decide": 0.9}}))
    assert [j.id for j in wide] == [j.id for j in plain]  # how a report decides changes no run
    assert wide[0].resolved()["report"] == {"rope": 0.02, "decide": 0.9}
    assert "report" not in plain[0].resolved()
    only_rope = parse_config({**BASE, "report": {"rope": 0.005}})
    assert only_rope.report is not None and only_rope.report.decide == 0.95


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ({"rope": 1.5}, "report.rope"),
        ({"decide": 0.3}, "report.decide"),
        ({"rpoe": 0.01}, "rpoe"),
    ],
)
def test_bad_report_settings_are_named(report, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({**BASE, "report": report})
