"""`relief worker`, `relief incidents`, `relief data import`, `relief worker-token`:
the worker side of the `relief` command. Thin, like api/cli.py."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from engine.errors import NotFound


def _engine():  # noqa: ANN202 - the Engine, made like api/cli.py makes it
    from api.cli import _engine as make

    return make()[1]


@click.command()
@click.option("--url", required=True, envvar="RELIEF_API_URL", help="the API, e.g. http://127.0.0.1:8000")
@click.option("--token", required=True, envvar="RELIEF_WORKER_TOKEN",
              help="a worker token (relief worker-token create)")
@click.option("--topics", default="", help="comma-separated topics (default: every topic this worker handles)")
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 64), help="jobs in parallel")
@click.option("--lock-seconds", default=300, show_default=True, type=click.IntRange(1, 86400))
@click.option("--wait-seconds", default=20, show_default=True, type=click.FloatRange(0, 60), help="long poll")
def worker(url: str, token: str, topics: str, concurrency: int, lock_seconds: int, wait_seconds: float) -> None:
    """Run handlers for jobs fetched over HTTP until SIGTERM; logs each job.

    The worker token is the only credential needed: case records (outbox, ledger,
    dispatches) and the local data platform are reached through the API too."""
    from workers.http_worker import HttpWorker

    wanted = [t.strip() for t in topics.split(",") if t.strip()]
    try:
        runner = HttpWorker(url, token, wanted or None, concurrency, lock_seconds, wait_seconds)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--topics") from err
    logging.getLogger("relief.worker").setLevel(logging.INFO)
    runner.run()


@click.group()
def incidents() -> None:
    """Jobs whose retries ran out."""


@incidents.command("list")
@click.option("--topic")
def incidents_list(topic: str | None) -> None:
    """List incidents (jobs, then timers) with their last error."""
    engine = _engine()
    rows = engine.jobs("incident", topic, limit=200)
    for j in rows:
        at = j.incident_at.isoformat() if j.incident_at else "-"
        click.echo(f"{j.id}  {j.topic:<20} case={j.instance_id or j.case_id}  at={at}  {j.error or ''}")
    timers = [] if topic else engine.timer_incidents(limit=200)
    for t in timers:
        at = t.incident_at.isoformat() if t.incident_at else "-"
        click.echo(f"{t.id}  timer {t.bpmn_id:<14} case={t.instance_id}  at={at}  {t.last_error or ''}")
    if not rows and not timers:
        click.echo("no incidents")


@incidents.command("retry")
@click.argument("job_id")
@click.option("--retries", default=1, show_default=True, type=click.IntRange(1, 100))
@click.option("--as", "actor", default="cli", show_default=True)
def incidents_retry(job_id: str, retries: int, actor: str) -> None:
    """Make the incident's job fetchable again (or the incident timer pending again)."""
    engine = _engine()
    try:
        job = engine.retry_incident(job_id, actor, retries)
    except NotFound:
        timer = engine.retry_timer_incident(job_id, actor)  # NotFound here too: neither exists
        click.echo(f"{timer.id} timer {timer.state}")
        return
    click.echo(f"{job.id} {job.state} retries={job.retries}")


@click.group()
def data() -> None:
    """The local data platform (household registry, aid already granted)."""


@data.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def data_import(files: tuple[Path, ...]) -> None:
    """Import CSV files (registry or granted aid, told apart by their header)."""
    from workers.data_import import import_file

    engine = _engine()
    for path in files:
        kind, count = import_file(engine.db, path)
        click.echo(f"{path}: {count} {kind} row(s) imported")


@data.command("signals")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def data_signals(file: Path) -> None:
    """Start a monitoring case (T-MONITOR) for each signal of a JSON-lines export, once per
    signal; exits 1 when a line was refused (the others are imported)."""
    from api.signals import import_signals

    result = import_signals(_engine(), file)
    for key in result.started:
        click.echo(f"started {key}")
    for key in result.already:
        click.echo(f"already imported {key}")
    for line in result.refused:
        click.echo(f"refused {line}", err=True)
    click.echo(f"{len(result.started)} started, {len(result.already)} already imported, {len(result.refused)} refused")
    if result.refused:
        raise SystemExit(1)


@click.group("worker-token")
def worker_token() -> None:
    """Credentials of worker processes (valid only on the job endpoints)."""


@worker_token.command("create")
@click.argument("name")
@click.option("--topics", default="", help="comma-separated topics it may handle (default: all)")
@click.option("--as", "actor", default="cli", show_default=True)
def worker_token_create(name: str, topics: str, actor: str) -> None:
    """Create a worker token; it is printed once, keep it secret."""
    wanted = [t.strip() for t in topics.split(",") if t.strip()]
    row, token = _engine().create_worker_token(name, wanted, actor)
    click.echo(f"worker token '{row.name}' for topics: {', '.join(row.topics) or 'all'}")
    click.echo(token)


@worker_token.command("revoke")
@click.argument("name")
def worker_token_revoke(name: str) -> None:
    """Revoke a worker token at once."""
    from engine.auth import worker_tokens

    engine = _engine()
    with engine.db.session() as s:
        row = worker_tokens.revoke(s, name, engine.clock.now())
    click.echo(f"worker token '{row.name}' revoked")


def attach(main: click.Group) -> None:
    """Add these commands to `relief`."""
    for command in (worker, incidents, data, worker_token):
        main.add_command(command)
