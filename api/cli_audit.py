"""`relief audit …` (X-AUDIT): verify a case by re-execution, export it, check an export
offline. Thin, like api/cli.py: the work is in engine/audit. The operator runs these on
the database itself (no --as: whoever holds the database holds the whole history); with
--as the auditor's scope applies and the read is in the access log."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from engine.audit import offline_verify


def _engine():  # noqa: ANN202 - the Engine, made like api/cli.py makes it
    from api.cli import _engine as make

    return make()[1]


@click.group("audit")
def audit_group() -> None:
    """Prove a case's history: re-execute it, export it, check an export offline."""


@audit_group.command("verify")
@click.argument("instance_id", required=False)
@click.option("--all", "every", is_flag=True, help="every case (one line per case that fails, then a summary)")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="with --all: cases started on or after this day")
@click.option("--as", "actor", help="an auditor's username: their scope applies and the read is logged")
def audit_verify(instance_id: str | None, every: bool, since: dt.datetime | None, actor: str | None) -> None:
    """Check the case's hash chain, then re-execute its history on a fresh workflow of its
    definition version and compare every step; one line, exit 1 on any difference."""
    if every == bool(instance_id):
        raise click.UsageError("name one case, or --all")
    engine = _engine()
    if every:
        checked = failed = 0
        for result in engine.replay_cases(since.date() if since else None):
            checked += 1
            if not result.ok:
                failed += 1
                click.echo(result.line(), err=True)
        click.echo(f"{checked} case(s) verified by re-execution, {failed} failed", err=bool(failed))
        sys.exit(1 if failed else 0)
    if actor:
        from api.cli import _user

        result = engine.audit_replay_for(_user(engine, actor), instance_id)
    else:
        result = engine.replay_case(instance_id)
    click.echo(result.line(), err=not result.ok)
    sys.exit(0 if result.ok else 1)


@audit_group.command("export")
@click.argument("instance_id")
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="the zip file to write")
@click.option("--as", "actor", help="an auditor's username: their scope applies and the export is logged")
def audit_export(instance_id: str, output: Path, actor: str | None) -> None:
    """Write the case's audit file: definition version files, events with their chain
    hashes and verify_chain.py, which checks it without the database."""
    engine = _engine()
    if actor:
        from api.cli import _user

        content = engine.audit_export_for(_user(engine, actor), instance_id)
    else:
        content = engine.export_case(instance_id, "relief audit export")
    output.write_bytes(content)
    click.echo(f"{output} {len(content)} bytes; check it with: python3 verify_chain.py {output.name} "
               f"(inside the zip) or relief audit verify-file {output}")


@audit_group.command("verify-file")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def audit_verify_file(path: Path) -> None:
    """Check an audit file (zip or unpacked folder) offline: the chain, its head, the files."""
    ok, line = offline_verify.check(path)
    click.echo(line, err=not ok)
    sys.exit(0 if ok else 1)


def attach(main: click.Group) -> None:
    main.add_command(audit_group)
