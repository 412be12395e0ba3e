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
        cases = engine.replay_cases(since.date() if since else None)
        checked = failed = 0
        verdicts: list[tuple[str, bool, str]] = []
        for result in cases:
            checked += 1
            verdicts.append((result.instance_id, result.ok, result.line()))
            if not result.ok:
                failed += 1
                _clear_progress()
                click.echo(result.line(), err=True)
            _progress(checked)
            if len(verdicts) >= 200:  # each case's verdict stored as its last verification
                engine.record_case_checks(verdicts, "cli")
                verdicts = []
        engine.record_case_checks(verdicts, "cli")
        _clear_progress()
        problems = engine.audit_seal_problems()
        for line in problems:
            click.echo(line, err=True)
        click.echo(f"{checked} case(s) verified by re-execution, {failed} failed; "
                   f"seals checked against the case heads, {len(problems)} problem(s)", err=bool(failed or problems))
        sys.exit(1 if failed or problems else 0)
    if actor:
        from api.cli import _user

        result = engine.audit_replay_for(_user(engine, actor), instance_id)
    else:
        result = engine.replay_case(instance_id)
    engine.record_case_checks([(result.instance_id, result.ok, result.line())], "cli")
    click.echo(result.line(), err=not result.ok)
    sys.exit(0 if result.ok else 1)


@audit_group.command("export")
@click.argument("instance_id")
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="the zip file to write")
@click.option("--as", "actor", help="an auditor's username: their scope applies and the export is logged")
def audit_export(instance_id: str, output: Path, actor: str | None) -> None:
    """Write the case's audit file (one zip): manifest.json, events.json (the events with
    their chain hashes), seals.json (the seals covering the case), the definition version's
    files, history.pdf (the history to read, personal data masked; inside the zip, its
    digest in the manifest) and verify_chain.py, which checks it all without the database."""
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
    """Check an audit file (zip or unpacked folder) offline: the chain, its head, the seals
    covering the case (each seal's hash and the head it sealed), every file's digest."""
    ok, line = offline_verify.check(path)
    click.echo(line, err=not ok)
    sys.exit(0 if ok else 1)


# Without a terminal (a log, a pipe) a line every so many cases instead of the live counter.
PROGRESS_EVERY = 100


def _progress(checked: int) -> None:
    """The count of cases verified so far on stderr: live on a terminal, else every PROGRESS_EVERY."""
    if sys.stderr.isatty():
        click.echo(f"\r{checked} case(s) verified …", nl=False, err=True)
    elif checked % PROGRESS_EVERY == 0:
        click.echo(f"… {checked} case(s) verified", err=True)


def _clear_progress() -> None:
    if sys.stderr.isatty():
        click.echo("\r\033[K", nl=False, err=True)


@audit_group.command("seal")
def audit_seal() -> None:
    """Seal the heads of every case now: the next checkpoint of the global chain, which
    `verify --all` checks (a case deleted or cut short after it is named)."""
    row = _engine().seal_audit("relief audit seal")
    click.echo(f"seal {row.seq} at {row.sealed_at.isoformat()}: {row.cases} case(s), hash {row.hash[:12]}")


@audit_group.command("nightly")
def audit_nightly() -> None:
    """What the scheduler runs nightly: seal, verify every case and every seal, keep the result."""
    run = _engine().nightly_audit("relief audit nightly", progress=_progress)
    _clear_progress()
    for failure in run.failures:
        click.echo(failure["line"], err=True)
    click.echo(f"{run.checked} case(s) verified, {run.failed} failure(s)", err=bool(run.failed))
    sys.exit(1 if run.failed else 0)


@audit_group.command("access-log")
@click.option("--as", "actor", help="an auditor's username: their region's cases only (without: every case)")
@click.option("--user", help="only what this user saw (exact username)")
@click.option("--case", "business_key", help="only cases whose business key contains this")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="on or after this day")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), help="on or before this day")
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True)
def audit_access_log(actor: str, user: str | None, business_key: str | None, since: dt.datetime | None,
                     until: dt.datetime | None, limit: int) -> None:
    """Who saw whose data, when and why (newest first), tab-separated: time, user, case, what, fields."""
    from api.cli import _user
    from engine.auth import Principal

    engine = _engine()
    # The operator on the database itself reads the whole log, like the other commands without --as.
    who = _user(engine, actor) if actor else Principal(username="relief audit access-log", roles=("admin",))
    rows, total = engine.access_log_for(who, user, business_key,
                                        since.date() if since else None, until.date() if until else None, limit)
    for r in rows:
        click.echo("\t".join([r.at.isoformat(), r.actor, r.business_key or r.instance_id or "-", r.resource,
                              ",".join(r.fields) or "-"]))
    click.echo(f"{len(rows)} of {total} entr{'y' if total == 1 else 'ies'}", err=True)


def attach(main: click.Group) -> None:
    main.add_command(audit_group)
