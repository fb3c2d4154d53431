"""The `folder` source: PNG/JPEG photos in class folders, optionally under train/ and test/ or val/.

Reading is two passes over the files: headers first (sizes, for the working-size policy of
`featcmp.data.size_policy`), then decoding straight to that size. Large folders run both passes
on all cores, in chunks, in the same order as a sequential read, so the result is identical.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np

from featcmp import progress
from featcmp.data.decode import DecodePlan, decode_chunk, probe_chunk
from featcmp.data.folder_layout import Layout, find_layout
from featcmp.data.images import Images
from featcmp.data.size_policy import SizeChoice, choose_size, working_size
from featcmp.errors import DataError
from featcmp.memory import check_array_bytes

PARALLEL_MIN = 400  # fewer files decode faster in this process than a pool starts
CHUNK = 64  # files per task: large enough to hide the hand-off, small enough to balance


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def _executor(n_files: int, parallel_min: int) -> Iterator[Executor | None]:
    """A process pool for large folders on several cores, else None (decode here)."""
    workers = min(cpu_count(), -(-n_files // CHUNK))
    # A daemonic process (a sweep's pool worker) may not start processes; it reads sequentially,
    # which also leaves the cores to the sweep's other jobs.
    if n_files < parallel_min or workers < 2 or multiprocessing.current_process().daemon:
        yield None
        return
    # forkserver: workers fork from a clean process, never from one holding torch's threads.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["featcmp.data.decode"])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        yield pool
    finally:  # on an error or Ctrl-C, drop the chunks not yet started
        pool.shutdown(wait=True, cancel_futures=True)


def _no_progress(n: int = 1, **_: Any) -> None:
    pass


def _map_chunks(
    fn: Callable[..., list], files: list[Path], arg: Any, pool: Executor | None, what: str
) -> list:
    """`fn(chunk, *arg)` over chunks of `files`, flattened in file order; a progress bar on
    large folders.

    A pool that cannot start or loses a worker leaves the remaining chunks to this process."""
    chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
    args = [arg] if arg is not None else []
    out: list = []
    large = len(files) >= PARALLEL_MIN
    with progress.bar(what, len(files)) if large else nullcontext(_no_progress) as advance:
        done = 0
        if pool is not None:
            try:
                for result in pool.map(fn, chunks, *(repeat(a) for a in args)):
                    out.extend(result)
                    advance(len(chunks[done]))
                    done += 1
            except (BrokenProcessPool, OSError):
                pass
        for chunk in chunks[done:]:
            out.extend(fn(chunk, *args))
            advance(len(chunk))
    return out


class _BadFiles:
    """Per-file problems: fatal under on_bad_file 'fail', else counted and reported once."""

    def __init__(self, root: Path, on_bad_file: str) -> None:
        self.root, self.fail, self.files = root, on_bad_file == "fail", []

    def check(self, files: list[Path], results: list) -> None:
        """Raise on the first problem (a string result) under 'fail', else count them."""
        for file, result in zip(files, results, strict=True):
            if isinstance(result, str):
                if self.fail:
                    raise DataError(f"{file}: {result}")
                self.files.append(file)

    def warning(self) -> list[str]:
        if not self.files:
            return []
        return [
            f"warning: skipped {len(self.files)} unreadable or non-image file(s) under "
            f"{self.root}, e.g. {self.files[0]} (set dataset.on_bad_file: fail to stop instead)"
        ]


def _stack(arrays: list[np.ndarray], rgb: bool) -> np.ndarray:
    """One float32 array in [0, 1]; gray images get three equal channels in an RGB set."""
    shapes = sorted({a.shape[:2] for a in arrays})
    if len(shapes) > 1:  # only when sizes changed between header and decode
        shown = ", ".join("x".join(map(str, s)) for s in shapes[:4])
        raise DataError(f"images decoded to different sizes ({shown}); set dataset.image_size")
    out = np.empty((len(arrays), *shapes[0], *((3,) if rgb else ())), dtype=np.float32)
    for i, a in enumerate(arrays):
        unit = a if a.dtype == np.float32 else a.astype(np.float32) / np.float32(255.0)
        out[i] = unit[..., None] if rgb and unit.ndim == 2 else unit
    return out


def read_folder(
    root: Path,
    color: str,
    image_size: tuple[int, int] | None,
    on_bad_file: str,
    parallel_min: int = PARALLEL_MIN,
) -> Images:
    """Read a folder of class folders (see `featcmp.data.folder_layout`) as float32 images."""
    layout = find_layout(root)
    groups, files = layout.groups, layout.files
    bad = _BadFiles(root, on_bad_file)
    with _executor(len(files), parallel_min) as pool:
        results: list = [None] * len(files)  # per file: an array, or why it was not read
        sizes: list[tuple[int, int]] = []
        if image_size is None:
            probed = _map_chunks(probe_chunk, files, None, pool, "reading image sizes")
            bad.check(files, probed)
            results = [p if isinstance(p, str) else None for p in probed]
            sizes = [p for p in probed if not isinstance(p, str)]
            choice = choose_size(sizes, None)
        else:
            choice = choose_size([], image_size)
        todo = [i for i, r in enumerate(results) if r is None]
        target = working_size(choice, sizes)
        if target is not None:
            check_array_bytes(
                f"{root}: {len(todo)} images of {target[0]}x{target[1]}",
                len(todo) * target[0] * target[1] * (1 if color == "gray" else 3) * 4,
                "set a smaller dataset.image_size or use fewer images",
            )
        plan = DecodePlan(color, choice.size, choice.crop)
        todo_files = [files[i] for i in todo]
        decoded = _map_chunks(decode_chunk, todo_files, plan, pool, "decoding images")
        bad.check(todo_files, decoded)
        for i, result in zip(todo, decoded, strict=True):
            results[i] = result
    images = _assemble(root, layout, groups, results, color, choice, len(bad.files))
    images.notes += bad.warning()
    return images


def _assemble(
    root: Path,
    layout: Layout,
    groups: list[list[list[Path]]],
    results: list,
    color: str,
    choice: SizeChoice,
    n_skipped: int,
) -> Images:
    """Images, labels and the record's account of the layout, split, colour and size."""
    parts, at = [], 0
    for group in groups:
        arrays, labels = [], []
        for label, class_files in enumerate(group):
            readable = [r for r in results[at : at + len(class_files)] if not isinstance(r, str)]
            at += len(class_files)
            if not readable:
                raise DataError(f"{class_files[0].parent}: class folder holds no readable images")
            arrays += readable
            labels += [label] * len(readable)
        parts.append((arrays, np.asarray(labels, dtype=np.int64)))
    all_arrays = [a for arrays, _ in parts for a in arrays]
    n_colour = sum(a.ndim == 3 for a in all_arrays)
    rgb = color == "rgb" or (color == "auto" and n_colour > 0)
    used = "rgb" if rgb else "gray"
    if color == "auto":
        used += f" (auto: {n_colour} of {len(all_arrays)} images have colour)"
    X = [_stack(arrays, rgb) for arrays, _ in parts]
    info = {
        "layout": layout.kind,
        "split": layout.split,
        "color": used,
        "size_policy": choice.policy,
        "image_size": list(X[0].shape[1:3]),
        "skipped_files": n_skipped,
    }
    notes = []
    if choice.crop or layout.test is not None:
        chosen = [s for s in (layout.split, layout.note, choice.policy) if s]
        notes.append(f"note: {root}: {'; '.join(chosen)}")
    if len(parts) == 1:
        return Images(X[0], parts[0][1], layout.classes, info=info, notes=notes)
    return Images(X[0], parts[0][1], layout.classes, X[1], parts[1][1], info=info, notes=notes)
