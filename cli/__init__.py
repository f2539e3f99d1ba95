"""Crosswalk's command line (`crosswalk ...`): thin commands over the library, one-line errors."""

from crosswalk.cli.main import main

__all__ = ["main"]
