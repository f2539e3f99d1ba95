"""Every command has help from its docstring, with an `Example:` line (as sqlite-utils' test_docs does)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from crosswalk.cli import main


def commands(group: click.Group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from commands(cmd, prefix + (name,))


@pytest.mark.parametrize("path, cmd", list(commands(main)), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_every_command_has_help_with_an_example(path, cmd):
    assert cmd.help and "Example:" in cmd.help, path
    out = CliRunner().invoke(main, [*path, "--help"])
    assert out.exit_code == 0 and "Usage:" in out.output


def test_the_main_commands_exist():
    names = set(main.commands)
    assert {"fetch", "ingest", "index", "show", "search", "match", "export", "eval", "bench", "app"} <= names
