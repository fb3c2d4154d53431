"""Process-wide torch settings a fit needs, put back as they were when it ends.

`torch.set_num_threads` and `torch.manual_seed` change the whole process: a fit inside a
larger program (a notebook, a sweep worker) must not leave them changed behind it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch


def available_cores() -> int:
    """Threads for torch: OMP_NUM_THREADS when set (shared machines), else this process's cores."""
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


@contextmanager
def seeded_threads(seed: int, device: torch.device, threads: int | None = None) -> Iterator[None]:
    """Seed torch's global RNGs and set its thread count; restore both on the way out.

    The global RNG still matters inside: weight initialisation and dropout draw from it.
    """
    before = torch.get_num_threads()
    devices = [device.index or 0] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=devices, device_type="cuda"):
            torch.manual_seed(seed)
            torch.set_num_threads(threads or available_cores())
            yield
    finally:
        torch.set_num_threads(before)
