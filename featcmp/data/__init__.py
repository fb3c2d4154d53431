"""Datasets: one loader, many sources, one split for every pipeline."""

from featcmp.data.loader import Dataset, load_dataset

__all__ = ["Dataset", "load_dataset"]
