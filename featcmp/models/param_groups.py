"""Optimizer parameter groups: weight decay on weight matrices and kernels only.

Decay on biases and normalisation scales/shifts only pulls them towards zero with no
regularising effect on the function (batch norm undoes any scale), so they are left out, as is
usual since Goyal et al. (2017). Batch-norm parameters may also get a larger learning rate.
"""

from __future__ import annotations

from torch import nn

NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)


def param_groups(module: nn.Module, weight_decay: float, norm_lr_scale: float = 1.0) -> list:
    """[decayed weights, undecayed biases, undecayed norm parameters] (empty groups dropped).

    Each group carries `lr_scale`, the factor on the base learning rate.
    """
    decay, plain, norm = [], [], []
    for mod in module.modules():
        for name, p in mod.named_parameters(recurse=False):
            if not p.requires_grad:
                continue
            if isinstance(mod, NORMS):
                norm.append(p)
            elif name == "bias" or p.ndim < 2:
                plain.append(p)
            else:
                decay.append(p)
    groups = [
        {"params": decay, "weight_decay": weight_decay, "lr_scale": 1.0},
        {"params": plain, "weight_decay": 0.0, "lr_scale": 1.0},
        {"params": norm, "weight_decay": 0.0, "lr_scale": norm_lr_scale},
    ]
    return [g for g in groups if g["params"]]
