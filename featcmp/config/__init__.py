"""Experiment configs: the schema, strict YAML, `--set` overrides and grids.

A leaf: it imports nothing from run, report, models, features or data. Names are checked
against the registries one layer up, in `featcmp.run.jobs`.
"""

from featcmp.config.schema import Config, DatasetConfig, PipelineConfig, check_name

__all__ = ["Config", "DatasetConfig", "PipelineConfig", "check_name"]
