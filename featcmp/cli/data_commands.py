"""`featcmp list`, `featcmp explain` and `featcmp datasets show|export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from featcmp.cli.run_commands import SetOption
from featcmp.errors import unknown_name

SourceArg = Annotated[str, typer.Argument(help="A source name (scenes, digits, ...) or a config.")]
PathOption = Annotated[str | None, typer.Option("--path", help="The source's dataset.path.")]
DataSetOption = Annotated[
    list[str] | None, typer.Option("--set", help="A source option: --set n_per_class=50")
]


def list_(
    pipeline: Annotated[
        str | None, typer.Argument(help="With --params: this pipeline's parameters alone.")
    ] = None,
    params: Annotated[
        bool, typer.Option("--params", help="Every parameter of each pipeline's steps.")
    ] = False,
    format_: Annotated[
        str, typer.Option("--format", help="With --params: text or md (the README's tables).")
    ] = "text",
) -> None:
    """The pipelines and dataset sources, one line each; a plugin's name its package. With
    --params (or a PIPELINE): each parameter's type, default, allowed values and help."""
    if params or pipeline is not None:
        _list_params(pipeline, format_)
        return
    from featcmp.data.sources import SOURCES
    from featcmp.pipelines import PIPELINES
    from featcmp.plugins import BUILT_IN

    def provider(registry, name: str) -> str:
        package = registry.providers.get(name, BUILT_IN)
        return "" if package == BUILT_IN else f" [from {package}]"

    for spec in PIPELINES.values():
        line = f"{spec.family:<23} {spec.summary}{provider(PIPELINES, spec.name)}"
        typer.echo(f"pipeline  {spec.name:<14} {line}")
    for src in SOURCES.values():
        typer.echo(
            f"source    {src.name:<14} {'dataset':<13} {src.summary}{provider(SOURCES, src.name)}"
        )


def _list_params(pipeline: str | None, format_: str) -> None:
    from featcmp.cli.errors import fail
    from featcmp.errors import ConfigError
    from featcmp.params_reference import markdown_reference, text_reference

    writers = {"text": text_reference, "md": markdown_reference}
    try:
        if format_ not in writers:
            raise ConfigError(unknown_name("format", format_, writers))
        typer.echo(writers[format_](pipeline), nl=False)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def explain(
    config: Annotated[Path, typer.Argument(help="A YAML config with a cnn or mlp pipeline.")],
    set_: SetOption = None,
) -> None:
    """Per layer of each CNN and MLP: parameters, connections, weight sharing, receptive field."""
    from featcmp.run.explain import explain_config
    from featcmp.run.jobs import load_config

    explain_config(load_config(config, set_ or []), where=str(config))


def datasets_show(
    source: SourceArg,
    out: Annotated[Path | None, typer.Option("--out", help="PNG to write.")] = None,
    path: PathOption = None,
    set_: DataSetOption = None,
    per_class: Annotated[int, typer.Option(min=1, max=64, help="Examples per class.")] = 8,
) -> None:
    """Write a montage of SOURCE: one labelled row per class."""
    from featcmp.data.export import all_images
    from featcmp.data.loader import load_dataset
    from featcmp.files import atomic_write_bytes
    from featcmp.report.montage import montage_png
    from featcmp.run.jobs import dataset_from_cli

    spec = dataset_from_cli(source, path, set_ or [])
    out = out or Path(f"{spec.source}-montage.png")
    ds = load_dataset(spec, seed=0)
    X, y = all_images(ds)
    atomic_write_bytes(out, montage_png(X, y, ds.class_names, per_class, title=ds.name))
    typer.echo(f"wrote {out}", err=True)


def datasets_export(
    source: SourceArg,
    directory: Annotated[Path, typer.Argument(help="New folder for <class>/<index>.png files.")],
    path: PathOption = None,
    set_: DataSetOption = None,
) -> None:
    """Write SOURCE as class-per-folder PNGs, which the `folder` source reads back."""
    from featcmp.data.export import export_folder
    from featcmp.run.jobs import dataset_from_cli

    n = export_folder(dataset_from_cli(source, path, set_ or []), directory)
    typer.echo(f"wrote {n} images under {directory}", err=True)
