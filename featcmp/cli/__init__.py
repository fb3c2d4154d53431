"""The `featcmp` command line (typer): the app in `app`, its commands by group beside it."""

from featcmp.cli.app import app, main

__all__ = ["app", "main"]
