"""`featcmp export`: a network a run kept (`save_model`), as a file any torch program loads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def export(
    model: Annotated[Path, typer.Argument(help="A saved featcmp network (save_model's file).")],
    out: Annotated[Path, typer.Option("--out", help="The torch.export file to write (.pt2).")],
) -> None:
    """Write MODEL's feature extractor (images in [0, 1] -> pooled features) as a torch.export
    file: `backbone: {file: OUT}` in a transfer_svm gives the same features as `{model: MODEL}`."""
    from featcmp.models.export import export_features

    shape = export_features(model, out)
    size = "x".join(map(str, shape))
    typer.echo(f"export: {out}: features of {model} for ({size}) images, any batch", err=True)
