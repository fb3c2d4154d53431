"""featcmp: hand-crafted features plus a classifier versus features a CNN learns end to end."""

__version__ = "0.1.0"
