"""The `relief` command. Thin: parse arguments, call the engine, print the result.

This module is the composition root of the embedded default: it wires the engine,
the API, the timer scheduler and the in-process workers together."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from api import cli_calendar
from api.app import create_app, make_engine
from api.settings import Settings
from engine.auth.users import to_principal
from engine.errors import ReliefError
from engine.service import Engine
from engine.store.models import User


def _fail(err: ReliefError) -> None:
    click.echo(f"error: {err.message}", err=True)
    for p in err.details.get("problems", []):
        where = ":".join(str(x) for x in (p.get("file"), p.get("line")) if x)
        click.echo(f"  {where} {p.get('element') or ''}: {p.get('message')}", err=True)
    for field, msgs in (err.details.get("fields") or {}).items():
        click.echo(f"  {field}: {'; '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}", err=True)
    sys.exit(1)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReliefError as err:
            _fail(err)


def _engine() -> tuple[Settings, Engine]:
    from workers.registry import topics

    settings = Settings.from_env()
    return settings, make_engine(settings, known_topics=topics())


def _json_arg(text: str | None, name: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(Path(text[1:]).read_text("utf-8") if text.startswith("@") else text)
    except (OSError, json.JSONDecodeError) as err:
        raise click.BadParameter(f"not valid JSON: {err}", param_hint=name) from err
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint=name)
    return value


def _user(engine: Engine, username: str) -> Any:
    with engine.db.session() as s:
        user = s.scalar(sa.select(User).where(User.username == username))
        if user is None:
            raise click.BadParameter(f"no user '{username}'", param_hint="--as")
        return to_principal(user)


@click.group(cls=_Group)
def main() -> None:
    """社会救助“一门受理、协同办理” — the workflow engine and its tools."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # A tick every second would drown the log; the scheduler logs what it fires itself.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations up to the newest schema."""
    settings, engine = _engine()
    engine.upgrade_schema()
    click.echo(f"database is up to date: {settings.database_url}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--as", "actor", default="cli", show_default=True, help="recorded as the deployer")
def deploy(paths: tuple[Path, ...], actor: str) -> None:
    """Deploy BPMN/DMN files or folders (with the forms they reference) as new versions."""
    _, engine = _engine()
    result = engine.deploy_paths(list(paths), actor)
    state = "deployed" if result.created else "unchanged (identical content)"
    click.echo(f"deployment {result.deployment_id}: {state}")
    for d in result.definitions:
        click.echo(f"  {d.key}:{d.version}  {d.name}")


def deploy_all(engine: Engine, workflows_root: Path, actor: str) -> list[str]:
    """Deploy each variant folder together with `common/`."""
    lines = []
    common = workflows_root / "common"
    for folder in sorted(p for p in workflows_root.iterdir() if p.is_dir() and p.name != "common"):
        result = engine.deploy_paths([folder, common] if common.exists() else [folder], actor)
        lines += [f"{d.key}:{d.version}" for d in result.definitions]
    return sorted(set(lines))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-background", is_flag=True, help="do not run the scheduler and workers in this process")
def serve(host: str, port: int, no_background: bool) -> None:
    """Serve the API; the scheduler and the workers run in-process unless told not to."""
    settings, engine = _engine()
    _serve(settings, engine, host, port, background=not no_background)


def _serve(settings: Settings, engine: Engine, host: str, port: int, background: bool) -> None:
    import socket

    from waitress import create_server

    from engine.timers.scheduler import TimerScheduler
    from workers.runner import InProcessWorker

    app = create_app(settings, engine)
    # Bound first: no other live process holds this host's port, so the runner named after
    # them may take back the jobs it held before a crash (a restart on the same port).
    server = create_server(app, host=host, port=port, threads=8)
    bound = getattr(server, "effective_port", None) or server.effective_listen[0][1]  # several addresses: one port
    worker_id = f"serve@{socket.gethostname()}:{bound}"[:120]
    parts = [TimerScheduler(engine), InProcessWorker(engine, worker_id=worker_id)] if background else []
    for part in parts:
        part.start()
    try:
        server.print_listen("Serving on http://{}:{}")
        server.run()
    finally:
        for part in parts:
            part.stop()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    """Upgrade the database, deploy workflows/, seed demo accounts, serve on 127.0.0.1."""
    import os

    from api import demo as demo_data

    os.environ.setdefault("RELIEF_MODE", "demo")
    settings, engine = _engine()
    engine.upgrade_schema()
    versions = deploy_all(engine, settings.workflows_root, "demo")
    with engine.db.session() as s:
        demo_data.seed(s, engine.clock.now())
    click.echo("\n社会救助“一门受理、协同办理” demo")
    click.echo(f"  database:    {settings.database_url}")
    click.echo(f"  definitions: {', '.join(versions)}")
    click.echo(f"  open:        http://{host}:{port}/  (API docs; OpenAPI at /api/v1/openapi.json)")
    click.echo(f"  accounts (password '{demo_data.DEMO_PASSWORD}', demo mode only):")
    for username, what in demo_data.demo_accounts():
        click.echo(f"    {username:<26} {what}")
    _serve(settings, engine, host, port, background=True)


@main.command()
@click.argument("definition")
@click.option("--data", help="JSON object, or @file.json")
@click.option("--business-key")
@click.option("--as", "actor", required=True, help="username of the acting user")
def start(definition: str, data: str | None, business_key: str | None, actor: str) -> None:
    """Start a case on DEFINITION (key, key:version or id)."""
    _, engine = _engine()
    who = _user(engine, actor)
    instance, created = engine.start_once(definition, _json_arg(data, "--data"), business_key, who.username,
                                          who.region)
    click.echo(f"{instance.id} {instance.status}" + ("" if created else " (started before with this business key)"))


@main.command()
@click.option("--instance")
@click.option("--as", "actor", required=True, help="username: lists the tasks of their groups")
def tasks(instance: str | None, actor: str) -> None:
    """List open tasks for a user's groups."""
    from engine import queries

    _, engine = _engine()
    who = _user(engine, actor)
    f = queries.TaskFilter(instance_id=instance, groups=None if who.is_admin else tuple(who.groups))
    with engine.db.session() as s:
        for t in queries.tasks(s, f):
            due = t.due_at.isoformat() if t.due_at else "-"
            click.echo(f"{t.id}  {t.bpmn_id:<28} {t.name:<16} groups={','.join(t.candidate_groups)} "
                       f"assignee={t.assignee or '-'} due={due}")


@main.command()
@click.argument("task_id")
@click.option("--data", help="JSON object, or @file.json")
@click.option("--as", "actor", required=True, help="username of the acting user")
def complete(task_id: str, data: str | None, actor: str) -> None:
    """Complete a task with form data (validated against its form)."""
    _, engine = _engine()
    who = _user(engine, actor)
    row = engine.complete(task_id, _json_arg(data, "--data"), who)
    click.echo(f"{row.id} {row.state}")


cli_calendar.attach(main)  # relief calendar …, relief scheduler, relief clock …


def _attach_worker_commands() -> None:
    from api import cli_workers

    cli_workers.attach(main)


_attach_worker_commands()


if __name__ == "__main__":
    main()
