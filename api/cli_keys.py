"""`relief keys …`: the data keys that seal personal data at rest (docs/security.md, "Key
rotation"). Thin, like api/cli.py: the work is in engine/crypto."""

from __future__ import annotations

import os
from pathlib import Path

import click

from engine.crypto import keys, rotate


def _engine():  # noqa: ANN202 - the Engine, made like api/cli.py makes it
    from api.cli import _engine as make

    return make()[1]


@click.group("keys")
def keys_group() -> None:
    """Data keys: generate one, see what each key holds, rotate to the primary key."""


@keys_group.command("generate")
@click.option("--id", "key_id", help="the new key's id (default: k + 8 random hex digits)")
@click.option("--into", "into", type=click.Path(path_type=Path),
              help="put the new key first in this key file (RELIEF_DATA_KEY_FILE), keeping the others")
def keys_generate(key_id: str | None, into: Path | None) -> None:
    """Make a new random data key. Printed unless --into: then written first into the file
    (mode 0600), where it becomes the primary key at the next start of each process."""
    entry = keys.generate_entry(key_id)
    if into is None:
        click.echo(entry)
        return
    old = into.read_text("utf-8") if into.exists() else ""
    keys.Keyring.parse(entry + "\n" + old, str(into))  # refuse a file that would not load (e.g. a repeated id)
    tmp = into.with_name(into.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(entry + "\n" + old)
    tmp.replace(into)
    click.echo(f"key {entry.split(':', 1)[0]} is now first in {into}; restart every process, then run "
               "`relief keys rotate`")


def _print_status(engine) -> bool:  # noqa: ANN001 - the Engine
    """Print what each key holds; True when nothing is left outside the primary key."""
    keyring = engine.db.keyring
    figures = rotate.status(engine.db)
    click.echo(f"primary key: {keyring.primary.id}; configured: {', '.join(keyring.ids)}")
    behind = 0
    for where in sorted(figures):
        counts = figures[where]
        behind += sum(n for key_id, n in counts.items() if key_id != keyring.primary.id)
        click.echo(f"  {where:<28} " + ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())))
    held = {k for counts in figures.values() for k in counts}
    for key_id in keyring.ids[1:]:
        if key_id not in held:
            click.echo(f"key {key_id} seals nothing any more: it may be removed from the configuration")
    if behind:
        click.echo(f"{behind} value(s) are not under the primary key yet: run `relief keys rotate`")
    return behind == 0


@keys_group.command("status")
def keys_status() -> None:
    """How many sealed values each key holds, per table and column ((clear): not sealed yet)."""
    _print_status(_engine())


@keys_group.command("rotate")
@click.option("--batch", default=200, show_default=True, type=click.IntRange(1, 10_000),
              help="rows per transaction")
@click.option("--pause", default=0.0, show_default=True, type=click.FloatRange(0, 60),
              help="seconds to wait between batches (to spare a busy server)")
def keys_rotate(batch: int, pause: float) -> None:
    """Re-seal every value under the primary key, in short batches, while the system runs;
    values still in clear are sealed too. Exits 1 if values remain under other keys
    (written meanwhile by a process not restarted with the new key: restart it, run again)."""
    engine = _engine()

    def report(table: str, seen: int, moved: int) -> None:
        click.echo(f"  {table}: {seen} row(s) read, {moved} rewritten", err=True)

    done = rotate.rotate(engine.db, batch, pause, report)
    for table, (seen, moved) in done.items():
        click.echo(f"{table}: {seen} row(s), {moved} rewritten")
    if not _print_status(engine):
        raise SystemExit(1)


def attach(main: click.Group) -> None:
    main.add_command(keys_group)
