"""The team-server commands: `crosswalk db upgrade|status` and `crosswalk users add|list|disable` (`crosswalk bench db`
is with the other benchmarks, in `crosswalk.cli.bench_cmds`).

Thin wrappers, like the rest of `crosswalk.cli`. Every one works on the workspace's database:
`WORKSPACE/crosswalk.db`, or the PostgreSQL server of `--database-url` / `CROSSWALK_DATABASE_URL`.
"""

from __future__ import annotations

import sys

import click

from crosswalk.cli.common import one_line_errors, workspace_option
from crosswalk.errors import ConfigError
from crosswalk.workspace import Workspace


@click.group("db")
def db() -> None:
    """The database's schema: which version it is at, and upgrading it.

    Example: crosswalk --database-url postgresql://crosswalk@db/crosswalk db upgrade
    """


@db.command("upgrade")
@workspace_option
@one_line_errors
def db_upgrade(workspace):
    """Apply the schema migrations the database lacks (each in one transaction); creates the schema in an
    empty database. Safe to run twice, or from two machines at once.

    Example: crosswalk db upgrade
    """
    from crosswalk.db import open_database
    from crosswalk.schema import MIGRATIONS, upgrade

    ws = Workspace.resolve(workspace)
    if not ws.database_url:
        ws.ensure()
    conn = open_database(ws.database)
    try:
        before, after = upgrade(conn)
    finally:
        conn.close()
    if before == after:
        click.echo(f"{ws.describe_database()}: schema at version {after}, nothing to do")
        return
    for m in MIGRATIONS:
        if before < m.version <= after:
            click.echo(f"  {m.version}: {m.summary}")
    click.echo(f"{ws.describe_database()}: schema upgraded from version {before} to {after}")


@db.command("status")
@workspace_option
@one_line_errors
def db_status(workspace):
    """Say which database the workspace uses, its schema version and whether it needs `crosswalk db upgrade`.

    Example: crosswalk db status
    """
    from crosswalk.db import open_database
    from crosswalk.schema import SCHEMA_VERSION, schema_version

    ws = Workspace.resolve(workspace)
    if not ws.has_store():
        click.echo(f"{ws.describe_database()}: no database yet (crosswalk ingest creates it)")
        return
    conn = open_database(ws.database, readonly=True)
    try:
        version = schema_version(conn)
    finally:
        conn.close()
    state = ("empty" if version is None else "current" if version == SCHEMA_VERSION
             else "needs `crosswalk db upgrade`" if version < SCHEMA_VERSION else "made by a newer Crosswalk")
    click.echo(f"{ws.describe_database()} ({conn.dialect}): schema version {version or 0} of {SCHEMA_VERSION}, "
               f"{state}")


@click.group("users")
def users() -> None:
    """Reviewer accounts. Once one exists, the app asks everyone to sign in, and a decision records the
    signed-in account.

    Example: crosswalk users add ana --role reviewer
    """


@users.command("add")
@click.argument("name")
@workspace_option
@click.option("--role", type=click.Choice(["reviewer", "viewer", "admin"]), default="reviewer", show_default=True,
              help="viewer: read and export; reviewer: also decide; admin: also decide.")
@one_line_errors
def users_add(name, workspace, role):
    """Create an account. The password is asked for twice at a terminal, or read from the first line of
    standard input (for scripts); only its argon2 hash is stored.

    Example: printf '%s\\n' "$PASSWORD" | crosswalk users add ana --role reviewer
    """
    from crosswalk.review.accounts import Accounts

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ConfigError("no password on standard input: pipe it in, one line, or run at a terminal")
    ws = Workspace.resolve(workspace)
    if not ws.database_url:
        ws.ensure()
    with Accounts(ws.database) as accounts:
        account = accounts.add(name, password, role)
    click.echo(f"added {account.role.value} {account.name!r} to {ws.describe_database()}")


@users.command("list")
@workspace_option
@one_line_errors
def users_list(workspace):
    """List the accounts: name, role, whether disabled, when created.

    Example: crosswalk users list
    """
    from crosswalk.review.accounts import Accounts

    ws = Workspace.resolve(workspace)
    with Accounts(ws.database) as accounts:
        found = accounts.list()
    for a in found:
        click.echo(f"{a.name:24} {a.role.value:9} {'disabled' if a.disabled else 'active':9} {a.created_at}")
    click.echo(f"{len(found)} account{'s' if len(found) != 1 else ''}"
               + ("" if found else ": anyone who reaches the app can decide (crosswalk users add NAME)"))


@users.command("disable")
@click.argument("name")
@workspace_option
@one_line_errors
def users_disable(name, workspace):
    """Disable an account: it can no longer sign in, its sessions end now, and its decisions stay.

    Example: crosswalk users disable ana
    """
    from crosswalk.review.accounts import Accounts

    ws = Workspace.resolve(workspace)
    with Accounts(ws.database) as accounts:
        accounts.disable(name)
    click.echo(f"disabled {name!r}; its sessions have ended")
