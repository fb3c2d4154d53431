"""Pipelines and dataset sources from other packages, through entry points.

A package adds pipelines under the entry-point group `featcmp.pipelines` and sources under
`featcmp.sources`; each entry point names a module (or an object in one) whose import
registers them with the usual decorators, `featcmp.pipelines.register_pipeline` and
`featcmp.data.sources.register_source`:

    [project.entry-points."featcmp.pipelines"]
    mine = "featcmp_mine.pipelines"

A registry loads its group once, on its first read, so `featcmp --help` imports no plugin. Each
name a plugin adds is checked as the built-in ones are (the registry's `check`); a plugin that
fails to import, replaces a built-in name or fails its check is left out, with one line on
stderr naming the plugin and its package, and the rest of featcmp goes on.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint, entry_points
from typing import Any

BUILT_IN = "featcmp"


def _package(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "an unknown package"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text[:300]}"


class Registry(dict):
    """name -> entry: the built-in entries, then its group's plugins, loaded on first read.

    `providers` names the package of each entry; `problems` holds one line per plugin left out.
    Writes (the decorators) do not trigger loading, so built-in registration stays cheap.
    """

    def __init__(self, group: str, kind: str) -> None:
        super().__init__()
        self.group, self.kind = group, kind
        self.check: Callable[[str, Any], None] = lambda name, entry: None
        self.providers: dict[str, str] = {}
        self.problems: list[str] = []
        self._loaded = False

    def __setitem__(self, name: str, entry: Any) -> None:
        super().__setitem__(name, entry)
        self.providers.setdefault(name, BUILT_IN)

    def load_plugins(self) -> None:
        """Import every plugin of the group once; check what each adds (see the module doc)."""
        if self._loaded:
            return
        self._loaded = True  # first: a plugin that reads the registry while loading is fine
        for ep in sorted(entry_points(group=self.group), key=lambda e: e.name):
            self._load_one(ep)

    def _load_one(self, ep: EntryPoint) -> None:
        package = _package(ep)
        before = dict(super().items())
        where = f"plugin '{ep.name}' ({package}, {self.group})"
        try:
            ep.load()
        except Exception as exc:
            self._drop(before, f"{where}: cannot load {ep.value}: {_short(exc)}")
            return
        added = [n for n in self._names() if n not in before]
        replaced = [n for n in before if dict.__getitem__(self, n) is not before[n]]
        if replaced:
            self._drop(before, f"{where}: {self.kind} '{replaced[0]}' exists already; rename it")
            return
        if not added:
            self._drop(before, f"{where}: registered no {self.kind} when imported")
            return
        for name in added:
            try:
                self.check(name, super().__getitem__(name))
            except Exception as exc:
                self._drop(before, f"{where}: {self.kind} '{name}' is invalid: {_short(exc)}")
                return
            self.providers[name] = package

    def _names(self) -> list[str]:
        """The names registered so far, without loading plugins."""
        return list(dict.keys(self))

    def _drop(self, before: dict[str, Any], line: str) -> None:
        """Leave a plugin out: the registry as it was before it, and one line on stderr."""
        for name in [n for n in self._names() if n not in before]:
            super().__delitem__(name)
            self.providers.pop(name, None)
        for name, entry in before.items():
            super().__setitem__(name, entry)
        self.problems.append(line)
        print(f"warning: {line}; left out", file=sys.stderr)

    # Every read loads the plugins first.
    def __getitem__(self, name: str) -> Any:
        self.load_plugins()
        return super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        self.load_plugins()
        return super().__contains__(name)

    def __iter__(self) -> Iterator[str]:
        self.load_plugins()
        return super().__iter__()

    def __len__(self) -> int:
        self.load_plugins()
        return super().__len__()

    def get(self, name: str, default: Any = None) -> Any:
        self.load_plugins()
        return super().get(name, default)

    def keys(self):  # type: ignore[override]
        self.load_plugins()
        return super().keys()

    def values(self):  # type: ignore[override]
        self.load_plugins()
        return super().values()

    def items(self):  # type: ignore[override]
        self.load_plugins()
        return super().items()
