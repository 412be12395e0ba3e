"""`relief definitions list | approve`: deployed versions and a second person's approval of
a new version of a process that has cases (engine/definitions/approval.py)."""

from __future__ import annotations

import click

from engine.definitions.approval import label, state


def _engine_and_user(username: str):  # noqa: ANN202 - (Engine, Principal), made like api/cli.py makes them
    from api.cli import _engine, _user

    engine = _engine()[1]
    return engine, _user(engine, username)


@click.group("definitions")
def definitions_group() -> None:
    """Deployed process versions and their approval."""


@definitions_group.command("list")
@click.option("--pending", is_flag=True, help="only versions waiting for a second person's approval")
def definitions_list(pending: bool) -> None:
    """Every version with who deployed it and its approval (pending ones take no new case)."""
    from api.cli import _engine

    engine = _engine()[1]
    rows = engine.pending_approvals() if pending else engine.definitions()
    for d in rows:
        approved = f" by {d.approved_by} at {d.approved_at.isoformat()}" if d.approved_at else ""
        click.echo(f"{label(d):<36} {state(d):<12}{approved}  deployed by {d.deployed_by or '-'} "
                   f"at {d.created_at.isoformat()}")
    if pending and not rows:
        click.echo("no version awaits approval")


@definitions_group.command("approve")
@click.argument("ref", metavar="KEY:VERSION")
@click.option("--as", "actor", required=True, help="username of the approving designer or administrator")
def definitions_approve(ref: str, actor: str) -> None:
    """Approve version KEY:VERSION: from now on it takes the new cases of its process. Its
    deployer cannot approve it; the approver must be a designer or an administrator."""
    key, _, version = ref.rpartition(":")
    if not key or not version.isdigit():
        raise click.BadParameter("give KEY:VERSION, e.g. jiangyin_one_door:2", param_hint="KEY:VERSION")
    engine, who = _engine_and_user(actor)
    if not who.has_role("designer"):
        raise click.BadParameter(f"{actor} is neither a designer nor an administrator", param_hint="--as")
    d = engine.approve_definition(key, int(version), who.username)
    click.echo(f"{label(d)} approved by {d.approved_by}; it takes new cases of {d.key} from now on")


def attach(main: click.Group) -> None:
    main.add_command(definitions_group)
