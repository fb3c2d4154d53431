"""Features learned elsewhere: a frozen backbone's pooled output, for the SVM of `transfer_svm`.

The backbone is a saved featcmp network (`model: PATH`, e.g. a CNN trained on CIFAR-10 with
`save_model`) or any `torch.export` file (`file: PATH.pt2`, e.g. an ImageNet ResNet-18 without
its last layer, exported where torchvision works). Nothing in it changes here: fit opens and
checks it, transform runs it in inference mode without gradients. What was learned, it learned
on other data; here only the SVM on top learns (Kornblith et al. 2019's "fixed features").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from featcmp.config.params import POSITIVE, Declared, Param, Range, Rule, declare
from featcmp.costs import backbone_macs
from featcmp.devices import DEVICE, resolve_device
from featcmp.features.base import ImageTransformer, channels
from featcmp.models.backbone import Backbone, open_backbone
from featcmp.models.random_features import RandomCNNFeatures
from featcmp.models.torch_state import seeded_threads
from featcmp.models.training import images_to_tensor


def _only_for_files(model: str | None, size, mean, std) -> bool:
    return model is None or (size is None and mean is None and std is None)


class TransferFeatures(Declared, ImageTransformer):
    """A frozen network's features: images fitted to its input, run, pooled if a map.

    Attributes
    ----------
    backbone_ : Backbone
        The opened network (featcmp.models.backbone); its parameters never change.
    feature_dim_ : int
        Width of the features.
    """

    PARAMS = declare(
        model=Param(str | None, None,
                    "a saved featcmp network (save_model): its pooled maps are the features",
                    reads_file=True),
        file=Param(str | None, None,
                   "a torch.export file (.pt2): its output is the features (a map is pooled)",
                   reads_file=True),
        size=Param(int | None, None, "file: the side it takes (null: the export's own)",
                   range=Range(1, 4096)),
        mean=Param(tuple[float, ...] | None, None,
                   "file: per-channel mean its images had, in [0, 1] units (ImageNet's: "
                   "[0.485, 0.456, 0.406])"),
        std=Param(tuple[float, ...] | None, None,
                  "file: per-channel std (ImageNet's: [0.229, 0.224, 0.225])", range=POSITIVE),
        device=DEVICE,
    )  # fmt: skip
    RULES = (
        Rule(
            ("model", "file"), lambda model, file: model is None or file is None,
            "give model (a saved featcmp network) or file (a torch export), not both",
        ),
        Rule(
            ("model", "size", "mean", "std"), _only_for_files,
            "size, mean and std are for file: a saved featcmp network brings its own",
        ),
    )  # fmt: skip
    learns_from_data = False  # a network trained on other data, frozen
    label = "backbone features"
    chunk_size = 256
    # A frozen backbone's forward pass, priced as the random cnn's (per multiply-add, and its
    # SVC's coefficient): an inference pass of a conv net, as that one is (not calibrated on
    # its own).
    cost = RandomCNNFeatures.cost

    def work_units(self, image_shape: tuple[int, ...]) -> tuple[float, float]:
        """Multiply-adds of one image through the backbone, at its input size."""
        return backbone_macs(self.open()), 0.0

    def open(self) -> Backbone:
        """The backbone, opened and checked (ConfigError, one line, when it cannot serve)."""
        return open_backbone(self.model, self.file, self.size, self.mean, self.std)

    def check_geometry(self, image_shape: tuple[int, ...]) -> None:
        backbone = self.open()
        backbone.fit.channel_step(channels(image_shape))

    def choices(self, image_shape: tuple[int, ...]) -> dict[str, Any]:
        backbone = getattr(self, "backbone_", None) or self.open()
        return backbone.fit.describe(image_shape)

    def cache_identity(self) -> str:
        """The backbone file's content: cached features of another file never match."""
        return self.open().digest()

    def fit(self, X, y=None):
        X = self._prepare(X)
        self.image_shape_ = X.shape[1:]
        self.device_ = resolve_device(self.device)
        self.backbone_ = self.open()
        # The opened backbone is shared (cached by file): every fit puts it on its own device,
        # so a CPU job after a GPU one with the same file does not find it on the GPU.
        self.backbone_.forward.to(self.device_)
        self.feature_dim_ = int(self._run(X[:1]).shape[1])
        return self

    def _begin(self, X: np.ndarray) -> None:
        if not hasattr(self, "backbone_"):  # transform straight from the cache's fit
            self.fit(X[:1])

    def _transform_batch(self, X: np.ndarray) -> np.ndarray:
        return self._run(X)

    @torch.inference_mode()
    def _run(self, X: np.ndarray) -> np.ndarray:
        x = images_to_tensor(X).to(self.device_)
        with seeded_threads(0, self.device_):
            out = self.backbone_.features(x)
        return out.float().cpu().numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        return tags
