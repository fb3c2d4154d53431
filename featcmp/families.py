"""The families of pipelines, declared once: what each learns, its name, its colours, its side.

The lecture's ladder runs from nothing learned (designed kernels) to everything learned (a
network trained end to end). Records store a family's name; the table, the plots' colours,
the ladder section and the verdict read everything else from here. The verdict compares the
best of the hand-crafted side (designed features, and features learned without labels, such
as a k-means dictionary) with the best network learned end to end; fixed random features are
the control and count on neither side. Networks trained on other data (frozen, or fine-tuned
here) count on neither side either: they answer another question (what data elsewhere buys),
and the verdict stays hand-crafted against learned from these images alone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str  # as records and configs write it
    display: str  # in tables, where columns are narrow
    learned: str  # what is learned from the training data, in words
    hues: tuple[str, ...]  # plot colours, one per pipeline of the family in turn
    side: str | None  # the verdict's side (HAND_SIDE, LEARNED_SIDE) or None: not compared
    rank: int  # place on the ladder, 0: nothing learned


HAND_SIDE, LEARNED_SIDE = "hand-crafted", "learned end to end"

HAND_CRAFTED = "hand-crafted"
FIXED_RANDOM = "fixed random"
UNSUPERVISED = "learned without labels"
END_TO_END = "learned end to end"
ELSEWHERE = "learned elsewhere"  # a network trained on other data, frozen (transfer_svm)
TUNED = "learned elsewhere, then tuned"  # such a network trained further here (cnn init_from)

FAMILIES: tuple[Family, ...] = (
    Family(HAND_CRAFTED, "hand-crafted", "the classifier only (designed features)",
           ("#1F5FA8", "#2CA02C", "#17BECF", "#6A8FD0", "#0B6E4F", "#98C23F", "#3E3A99"),
           HAND_SIDE, 0),
    Family(FIXED_RANDOM, "fixed random", "the classifier only (random kernels, frozen)",
           ("#7F7F7F", "#5E5E8C", "#A0A0A0"), None, 1),
    Family(UNSUPERVISED, "no labels", "a feature dictionary without labels, then the classifier",
           ("#8E44AD", "#B07CC6", "#5B2C6F"), HAND_SIDE, 2),
    Family(ELSEWHERE, "elsewhere", "features on another dataset, then the classifier",
           ("#8C564B", "#C49C94", "#6B3E26"), None, 3),
    Family(TUNED, "elsewhere, tuned", "every weight, started from another dataset's network",
           ("#BC8F5A", "#9C6B30", "#D9B98C"), None, 4),
    Family(END_TO_END, "end to end", "every kernel and weight, from the labels",
           ("#E8772E", "#C7312B", "#F2B134", "#8C2D04", "#E377C2", "#B5651D", "#FF9E80"),
           LEARNED_SIDE, 5),
)  # fmt: skip
BY_NAME = {f.name: f for f in FAMILIES}
# Formats 1 and 2 of the records knew two families; their "learned" was trained end to end.
LEGACY = {"learned": END_TO_END}
GRAYS = ("#555555", "#999999", "#333333")


def canonical(name: str | None) -> str | None:
    """A family name as this version writes it (legacy names mapped; unknown ones kept)."""
    return LEGACY.get(name, name) if name is not None else None


def family(name: str | None) -> Family | None:
    return BY_NAME.get(canonical(name) or "")


def side(name: str | None) -> str | None:
    """The verdict's side of a family, or None (a control, or unknown)."""
    found = family(name)
    return found.side if found else None


def hues(name: str | None) -> tuple[str, ...]:
    found = family(name)
    return found.hues if found else GRAYS


def rank(name: str | None) -> int:
    """Place on the ladder; unknown families after every known one."""
    found = family(name)
    return found.rank if found else len(FAMILIES)


def display(name: str | None) -> str:
    """The family's short name for a table cell (an unknown name as it is)."""
    found = family(name)
    return found.display if found else (name or "")


def learned_text(name: str | None) -> str:
    found = family(name)
    return found.learned if found else "unknown"
