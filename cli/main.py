"""The `crosswalk` command: the group every command is registered on.

The commands live by what they work on, each a thin wrapper over library functions: `ingest_cmds` (fetch, ingest),
`search_cmds` (show, index, search), `review_cmds` (match, app, export, decisions), `eval_cmds` (learn, eval),
`bench_cmds` (bench ...) and `team` (db, users). Each command's help is its docstring, with an `Example:` line.
Errors from the library (`CrosswalkError`) become one line on stderr and exit status 1 (`common.one_line_errors`);
a failed document makes `ingest` exit 1 after ingesting the rest.
"""

from __future__ import annotations

import logging

import click

from crosswalk.cli import bench_cmds, eval_cmds, ingest_cmds, review_cmds, search_cmds, team


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log warnings and details to stderr.")
@click.option("--database-url", default=None, metavar="URL",
              help="Keep the store, queue, decisions, history and accounts in this PostgreSQL database "
                   "(postgresql://user@host/db) instead of WORKSPACE/crosswalk.db. Default: $CROSSWALK_DATABASE_URL.")
def main(verbose: bool, database_url: str | None) -> None:
    """Crosswalk: compare US and UK crypto rulebooks provision by provision.

    Example: crosswalk ingest ../shared/corpus && crosswalk show "US-PL119-27-GENIUS:sec.4(a)(11)"
    """
    import os

    from crosswalk.workspace import DATABASE_ENV_VAR

    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(message)s")
    if database_url:
        # every command (and the app it starts) reads it from the environment, as if exported
        os.environ[DATABASE_ENV_VAR] = database_url


for command in (
    ingest_cmds.fetch, ingest_cmds.ingest,
    search_cmds.show, search_cmds.index_command, search_cmds.search,
    review_cmds.match_command, review_cmds.app_command_cli, review_cmds.export_command, review_cmds.decisions,
    eval_cmds.learn_command, eval_cmds.eval_command,
    bench_cmds.bench,
    team.db, team.users,
):
    main.add_command(command)

if __name__ == "__main__":
    main()
