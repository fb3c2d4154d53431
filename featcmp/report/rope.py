"""The ROPE and decision threshold a report uses: the command line, else the runs' config.

A config sets them with `report: {rope: 0.01, decide: 0.95}`; each record keeps its resolved
config, so the report reads them from the records. `featcmp report --rope/--decide` wins.
Records that disagree (two configs, two ROPEs) are refused: a verdict has one margin.
"""

from __future__ import annotations

from featcmp.errors import FeatcmpError
from featcmp.records import Record
from featcmp.report.bayes import ROPE, THRESHOLD, Decide

KEYS = {"rope": ("report.rope", ROPE), "decide": ("report.decide", THRESHOLD)}


def recorded(records: list[Record], key: str) -> float | None:
    """The one value of `key` the records' configs agree on; None where none sets it."""
    values = {r.config_value(key) for r in records} - {None}
    if len(values) > 1:
        shown = ", ".join(f"{v:g}" for v in sorted(values))
        option = "--" + key.split(".")[-1]
        raise FeatcmpError(f"the runs' configs disagree on {key} ({shown}); give {option}")
    return float(values.pop()) if values else None


def report_decide(
    records: list[Record], rope: float | None = None, decide: float | None = None
) -> Decide:
    """The report's ROPE and threshold: given ones, else the records', else the defaults."""
    given = {"rope": rope, "decide": decide}
    chosen = {}
    for name, (key, default) in KEYS.items():
        value = given[name]
        if value is None:
            value = recorded(records, key)
        chosen[name] = default if value is None else value
    try:
        return Decide(rope=chosen["rope"], threshold=chosen["decide"])
    except ValueError as e:
        raise FeatcmpError(str(e)) from None
