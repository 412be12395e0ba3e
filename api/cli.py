"""The `relief` command. Thin: parse arguments, call the engine, print the result.

This module is the composition root of the embedded default: it wires the engine,
the API, the timer scheduler and the in-process workers together."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from api import cli_audit, cli_calendar, cli_definitions, cli_keys, cli_users, inputs
from api.app import create_app, make_engine
from api.settings import ConfigurationError, Settings
from engine.auth.users import to_principal
from engine.errors import ReliefError
from engine.service import Engine
from engine.store.models import User


def _fail(err: ReliefError) -> None:
    """One line for the error (with the fields at fault), then one per deployment problem."""
    fields = "; ".join(f"{name}: {'; '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
                       for name, msgs in (err.details.get("fields") or {}).items())
    click.echo(f"error: {err.message}" + (f" ({fields})" if fields else ""), err=True)
    for p in err.details.get("problems", []):
        where = ":".join(str(x) for x in (p.get("file"), p.get("line")) if x)
        click.echo(f"  {where} {p.get('element') or ''}: {p.get('message')}", err=True)
    sys.exit(1)


def _first_line(text: object) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


class _Group(click.Group):
    """The `relief` command. Every error ends as one line on stderr and a non-zero exit,
    never a traceback (RELIEF_DEBUG=1 shows the traceback of an unexpected one)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: C901 - one except per kind of error
        kwargs["standalone_mode"] = False
        argv = args[0] if args else kwargs.get("args")
        for arg in sys.argv[1:] if argv is None else argv:
            # Bytes that are not UTF-8 arrive as lone surrogates, which no database stores.
            if isinstance(arg, str) and (problem := inputs.text_problem(arg)):
                click.echo(f"error: argument {arg.encode('utf-8', 'backslashreplace').decode()!r} {problem}",
                           err=True)
                sys.exit(2)
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            sys.exit(130)  # Ctrl-C: the way to stop a command that runs until then
        except click.ClickException as err:
            ctx = getattr(err, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if isinstance(err, click.UsageError) and ctx else ""
            click.echo(f"error: {err.format_message()}{hint}", err=True)
            sys.exit(err.exit_code)
        except ReliefError as err:
            _fail(err)
        except ConfigurationError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
        except sa.exc.DBAPIError as err:
            if os.environ.get("RELIEF_DEBUG"):
                raise
            reason = _first_line(err.orig)
            if isinstance(err, (sa.exc.IntegrityError, sa.exc.DataError)):
                click.echo(f"error: the database refused it: {reason}", err=True)
            else:
                hint = " (has `relief db upgrade` run?)" if isinstance(err, sa.exc.ProgrammingError) or \
                    "no such table" in reason else ""
                click.echo(f"error: the database cannot be used: {reason}{hint}", err=True)
            sys.exit(1)
        except Exception as err:
            if os.environ.get("RELIEF_DEBUG"):
                raise
            click.echo(f"error: unexpected {type(err).__name__}: {_first_line(err)} "
                       "(RELIEF_DEBUG=1 shows where)", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _engine() -> tuple[Settings, Engine]:
    from workers.registry import topics

    settings = Settings.from_env()
    return settings, make_engine(settings, known_topics=topics())


def _json_arg(text: str | None, name: str) -> dict[str, Any]:
    """A JSON object given inline or as @file, held to the API's rules (api/inputs.py)."""
    if not text:
        return {}
    try:
        source = Path(text[1:]).read_text("utf-8") if text.startswith("@") else text
    except (OSError, UnicodeDecodeError) as err:
        raise click.BadParameter(f"cannot read {text[1:]}: {getattr(err, 'strerror', None) or err}",
                                 param_hint=name) from err
    if inputs.json_depth(source.encode("utf-8", "surrogatepass")) > inputs.MAX_JSON_DEPTH:
        raise click.BadParameter(f"nested deeper than {inputs.MAX_JSON_DEPTH} levels", param_hint=name)
    try:
        value = json.loads(source)
    except ValueError as err:
        raise click.BadParameter(f"not valid JSON: {err}", param_hint=name) from err
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint=name)
    if problem := inputs.json_problem(value):
        raise click.BadParameter(f"{problem[0]}: {problem[1]}" if problem[0] else problem[1], param_hint=name)
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
    # SpiffWorkflow logs every task state change at INFO: the engine's audit log says what happened.
    logging.getLogger("spiff").setLevel(logging.WARNING)


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
        pending = "  (awaits a second designer's approval: relief definitions approve)" \
            if d.approval_required and d.approved_at is None else ""
        click.echo(f"  {d.key}:{d.version}  {d.name}{pending}")


def deploy_all(engine: Engine, workflows_root: Path, actor: str, require_approval: bool = True) -> list[str]:
    """Deploy each variant folder together with `common/`."""
    lines = []
    common = workflows_root / "common"
    for folder in sorted(p for p in workflows_root.iterdir() if p.is_dir() and p.name != "common"):
        result = engine.deploy_paths([folder, common] if common.exists() else [folder], actor, require_approval)
        lines += [f"{d.key}:{d.version}" for d in result.definitions]
    return sorted(set(lines))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-background", is_flag=True, help="do not run the scheduler and workers in this process")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64),
              help="serve with this many gunicorn processes (PostgreSQL only; no scheduler or workers inside: "
                   "run `relief scheduler` and `relief worker` beside them, docs/deploy.md)")
def serve(host: str, port: int, no_background: bool, processes: int) -> None:
    """Serve the API; the scheduler and the workers run in-process unless told not to."""
    if processes > 1:
        from api import wsgi_server

        wsgi_server.serve(Settings.from_env(), host, port, processes)  # a ConfigurationError: one line
        return
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
    # 12345 tickets of the demo belong to the demo accounts' county unless they name a region.
    os.environ.setdefault("RELIEF_DEFAULT_REGION", demo_data.JIANGYIN)
    # No SMS operator in a demo: the applicant's texts go to the demo's own gateway, read at
    # /demo/phone (api/demo_phone.py); a sign-in code is never shown to staff.
    os.environ.setdefault("RELIEF_DEMO_PHONE", "1")
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - an address compared, not bound
    os.environ.setdefault("RELIEF_SMS_GATEWAY_URL", f"http://{local}:{port}/demo/sms/gateway")
    settings, engine = _engine()
    engine.upgrade_schema()
    # The demo's own diagrams, redeployed at every start: changed files take the demo's new
    # cases at once (no second person to approve them); in production, `relief deploy` waits
    # for a second designer's approval (docs/security.md).
    versions = deploy_all(engine, settings.workflows_root, "demo", require_approval=settings.mode != "demo")
    with engine.db.session() as s:
        demo_data.seed(s, engine.clock.now())
    click.echo("\n社会救助“一门受理、协同办理” demo")
    click.echo(f"  database:    {settings.database_url}")
    click.echo(f"  definitions: {', '.join(versions)}")
    click.echo(f"  open:        http://{host}:{port}/  (sign in; API docs at /api/v1/docs)")
    if settings.demo_phone:
        click.echo(f"  applicants' SMS: http://{host}:{port}/demo/phone  (the demo's stand-in for their phones)")
    click.echo(f"  accounts (password '{demo_data.DEMO_PASSWORD}', demo mode only):")
    for username, what in demo_data.demo_accounts():
        click.echo(f"    {username:<26} {what}")
    _serve(settings, engine, host, port, background=True)


@main.command()
@click.argument("definition")
@click.option("--data", help="JSON object, or @file.json")
@click.option("--business-key")
@click.option("--region", help="GB/T 2260 code of the applicant's township or village (default: yours)")
@click.option("--as", "actor", required=True, help="username of the acting user")
def start(definition: str, data: str | None, business_key: str | None, region: str | None, actor: str) -> None:
    """Start a case on DEFINITION (key, key:version or id)."""
    _, engine = _engine()
    who = _user(engine, actor)
    instance, created = engine.start_once(definition, _json_arg(data, "--data"), business_key, who, region)
    click.echo(f"{instance.id} {instance.status}" + ("" if created else " (started before with this business key)"))


@main.command()
@click.option("--instance")
@click.option("--as", "actor", required=True, help="username: lists the tasks they may see")
def tasks(instance: str | None, actor: str) -> None:
    """List the open tasks a user may see (their groups, in their region)."""
    from engine import queries

    _, engine = _engine()
    who = _user(engine, actor)
    for t in engine.tasks_for(who, queries.TaskFilter(instance_id=instance)):
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
cli_users.attach(main)  # relief users …
cli_keys.attach(main)  # relief keys generate | status | rotate
cli_definitions.attach(main)  # relief definitions list | approve
cli_audit.attach(main)  # relief audit verify | export | verify-file


def _attach_worker_commands() -> None:
    from api import cli_workers

    cli_workers.attach(main)


_attach_worker_commands()


if __name__ == "__main__":
    main()
