"""`relief users add|list|disable|enable|passwd|import`: the people of an installation.

Disabling a user or setting a password ends every session and token of that user at
once. Passwords are read hidden (asked twice) or, for scripts, from standard input
(`--password-stdin`); they never appear in the arguments, where `ps` would show them."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import click

from api.app import make_engine
from api.settings import Settings
from engine.auth import ROLES
from engine.auth.directory import UserFilter
from engine.service import Engine


def _engine() -> Engine:
    return make_engine(Settings.from_env())


def _actor() -> str:
    """Who ran the command, for the account log."""
    try:
        return f"cli:{getpass.getuser()}"[:80]
    except OSError:
        return "cli"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Users: add, list, disable, enable, set a password, import a CSV."""


@users.command("add")
@click.argument("username")
@click.option("--name", "display_name", default="", help="display name, e.g. 受理窗口 王敏")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(list(ROLES)),
              help="repeat for several roles")
@click.option("--group", "groups", multiple=True, help="task group (repeat for several), e.g. window, dept:hrss")
@click.option("--department", help="department code of a caseworker, e.g. civil-affairs")
@click.option("--region", help="GB/T 2260 code: 6 digits (county), 9 (township) or 12 (village)")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--temporary", is_flag=True, help="the user must choose their own password at first sign-in")
def add(username: str, display_name: str, roles: tuple[str, ...], groups: tuple[str, ...], department: str | None,
        region: str | None, password_stdin: bool, temporary: bool) -> None:
    """Add a user."""
    engine = _engine()
    user = engine.users.add(_actor(), username, _password(password_stdin), list(roles), list(groups), department,
                            region, display_name, temporary=temporary)
    click.echo(f"added {user.username} ({', '.join(user.roles)})")


@users.command("list")
@click.option("--role", type=click.Choice(list(ROLES)))
@click.option("--group")
@click.option("--region", help="users of this region and the regions within it")
@click.option("--all", "everyone", is_flag=True, help="disabled users too")
def list_users(role: str | None, group: str | None, region: str | None, everyone: bool) -> None:
    """List users (username, roles, groups, department, region, name)."""
    engine = _engine()
    f = UserFilter(role=role, group=group, region=region, active=None if everyone else True, limit=100_000)
    rows, _ = engine.users.list(f)
    for u in rows:
        state = "" if u.active else "  [disabled]"
        click.echo(f"{u.username:<26} {','.join(u.roles):<20} {','.join(u.groups) or '-':<24} "
                   f"{u.department or '-':<18} {u.region or '-':<12} {u.display_name}{state}")


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable a user: every session and token of theirs is refused from now on."""
    engine = _engine()
    engine.users.set_active(_actor(), username, False)
    click.echo(f"disabled {username}; their sign-ins have ended")


@users.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Enable a disabled user again."""
    _engine().users.set_active(_actor(), username, True)
    click.echo(f"enabled {username}")


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--temporary", is_flag=True, help="the user must choose their own password at the next sign-in")
def passwd(username: str, password_stdin: bool, temporary: bool) -> None:
    """Set a user's password (their sign-ins end; a lockout is lifted)."""
    engine = _engine()
    engine.users.get(username)  # an unknown user is said before asking for a password
    ended = engine.users.set_password(_actor(), username, _password(password_stdin), temporary=temporary)
    click.echo(f"password of {username} set; {ended} sign-in(s) ended")


@users.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--passwords-out", type=click.Path(dir_okay=False, path_type=Path),
              help="write the generated passwords here (mode 600) instead of to the screen")
def import_users(file: Path, passwords_out: Path | None) -> None:
    """Add every user of a CSV file (username, display_name, roles, groups, department,
    region; several roles or groups separated by ';'), or none if any row is bad. Each
    user gets a generated password, to be changed at first sign-in."""
    engine = _engine()
    added = engine.users.import_csv(_actor(), file.read_bytes(), file.name)
    lines = [f"{username}\t{password}" for username, password in added]
    if passwords_out:
        fd = os.open(passwords_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        click.echo(f"imported {len(added)} user(s); their first passwords are in {passwords_out}")
    else:
        click.echo(f"imported {len(added)} user(s); first passwords (shown only now):")
        for line in lines:
            click.echo(f"  {line}")


def attach(main: click.Group) -> None:
    """Add `relief users` to the `relief` command."""
    main.add_command(users)
