"""Removal of temporary files that interrupted atomic writes left behind.

`results.atomic_write_text` writes `.<name>.<random>.tmp` beside its target and renames it; a
process killed between the two leaves the temporary file. Readers never see it (record files
end in `.json` and never start with '.'); the next run into the same folder removes it.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

# An atomic write of a record takes milliseconds; a temporary file this old has no writer left
# (a younger one may belong to a run writing into the same folder right now).
STALE_AFTER_S = 60.0


def stale_temps(folder: Path, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Temporary files of interrupted atomic writes in `folder` older than `older_than_s`."""
    if not folder.is_dir():
        return []
    cutoff = time.time() - older_than_s
    found = []
    for path in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime <= cutoff:
                found.append(path)
    return sorted(found)


def remove_stale_temps(folder: Path, older_than_s: float = STALE_AFTER_S) -> int:
    """Delete stale temporary files in `folder`; return how many went."""
    removed = 0
    for path in stale_temps(folder, older_than_s):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed
