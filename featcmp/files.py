"""Small shared file IO: atomic writes, and the one sweeper of their dead temporary files.

`atomic_file` writes `.<name>.<random>.tmp` beside its target and renames it; a process killed
between the two leaves the temporary file. Readers never see it (records end in `.json` and
never start with '.', cache entries end in `.npy`); the next run removes it once it is stale.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

# Every write touches its temporary file as it goes, so one untouched this long has no writer
# left; a younger one may belong to another run writing into the same folder right now. One
# threshold for records (written in milliseconds) and feature-cache entries (seconds).
STALE_AFTER_S = 600.0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A temporary file beside `path` to write into; fsynced and renamed over `path` when the
    block ends cleanly, removed when it raises: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are for sharing
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _name_the_file(exc, path, tmp)
        raise


def _name_the_file(exc: BaseException, path: Path, tmp: str) -> None:
    """A failed write (disk full, quota) names the target, not the temporary file or nothing."""
    if isinstance(exc, OSError) and exc.filename in (None, tmp):
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (see `atomic_file`)."""
    with atomic_file(path) as f:
        f.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def stale_temps(
    folder: Path, older_than_s: float = STALE_AFTER_S, pattern: str = ".*.tmp"
) -> list[Path]:
    """Temporary files of interrupted atomic writes in `folder` older than `older_than_s`."""
    if not folder.is_dir():
        return []
    cutoff = time.time() - older_than_s
    found = []
    for path in folder.glob(pattern):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime <= cutoff:
                found.append(path)
    return sorted(found)


def remove_stale_temps(
    folder: Path, older_than_s: float = STALE_AFTER_S, pattern: str = ".*.tmp"
) -> int:
    """Delete stale temporary files in `folder` (`pattern` may reach into subfolders, as the
    feature cache's `*/.*.tmp` does); return how many went."""
    removed = 0
    for path in stale_temps(folder, older_than_s, pattern):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed


@functools.lru_cache(maxsize=64)
def _digest(path: str, stamp: tuple[int, int]) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digest(path: str | Path) -> str:
    """A file's content hash ('missing' when there is none yet), hashed once while it is
    unchanged: job ids and the feature cache key by it, not by the file's name."""
    p = Path(path).expanduser()
    try:
        stat = p.stat()
    except OSError:
        return "missing"
    return _digest(str(p.resolve()), (stat.st_mtime_ns, stat.st_size))
