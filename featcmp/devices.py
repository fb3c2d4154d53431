"""Where torch work runs, for every part that can use a GPU (networks, HOG, the SVM scale path).

'auto' takes CUDA when present; 'cuda[:N]' on a machine without a GPU falls back to the CPU
with a one-line note. torch is imported on first use, so importing this costs nothing.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from featcmp.config.params import Param
from featcmp.errors import ConfigError

if TYPE_CHECKING:
    import torch

# The `device` parameter of every step that can run on a GPU, declared once.
DEVICE = Param(
    str, "auto", "where torch runs: 'auto' takes CUDA when present ('cuda' without one: the CPU)",
    choices=("auto", "cpu"), pattern=(r"cuda(:\d+)?", "cuda[:N]"),
)  # fmt: skip


def check_device(device: str, key: str = "device") -> None:
    """Reject anything but 'auto', 'cpu' or 'cuda[:N]', naming the config key."""
    if device not in ("auto", "cpu") and not str(device).startswith("cuda"):
        raise ConfigError(f"{key}: expected 'auto', 'cpu' or 'cuda[:N]', got '{device}'")


def resolve_device(device: str, what: str = "device") -> torch.device:
    """The torch device for a config value; `what` names it in the fallback note."""
    import torch

    check_device(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        print(
            f"note: {what} '{device}' requested but no CUDA GPU is available; using CPU",
            file=sys.stderr,
        )
        return torch.device("cpu")
    return torch.device(device)
