"""Every error of the `relief` command is one clear line on stderr and a non-zero exit,
never a traceback (issue 10, the README as a newcomer meets it), and nothing is stored."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.cli.test_cli import FIXTURES, ROOT, relief


def _one_line_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A migrated database with mini_case deployed and a user `centre`."""
    tmp_path = tmp_path_factory.mktemp("cli-errors")
    relief(tmp_path, "db", "upgrade", check=True)
    relief(tmp_path, "deploy", str(FIXTURES / "mini.bpmn"), check=True)
    from engine.auth import create_user
    from engine.store.db import Database

    db = Database(f"sqlite:///{tmp_path}/cli.sqlite")
    with db.session() as s:
        create_user(s, "centre", "long-enough-pw", ["dispatcher"], ["county-centre"])
    db.dispose()
    return tmp_path


def _instances(tmp_path) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path}/cli.sqlite")
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM instances")).scalar()
    engine.dispose()
    return count


@pytest.mark.parametrize("args, words", [
    (["start", "no_such_process", "--as", "centre"], ["no_such_process"]),
    (["start", "mini_case", "--as", "centre", "--data", "{not json"], ["--data", "not valid JSON"]),
    (["start", "mini_case", "--as", "centre", "--data", "[1, 2]"], ["--data", "JSON object"]),
    (["start", "mini_case", "--as", "centre", "--data", '{"a": NaN}'], ["--data", "NaN"]),
    (["start", "mini_case", "--as", "centre", "--data", '{"a": "\\u0000"}'], ["--data", "NUL"]),
    (["start", "mini_case", "--as", "centre", "--data", "[" * 100_000], ["--data", "nested deeper"]),
    (["start", "mini_case", "--as", "centre", "--data", "@/no/such/case.json"], ["--data", "/no/such/case.json"]),
    (["start", "mini_case", "--as", "nobody"], ["--as", "nobody"]),
    (["start", "mini_case"], ["--as"]),
    (["complete", "no-such-task", "--as", "centre", "--data", "{}"], ["no-such-task"]),
    (["calendar", "add-working-days", "2026-02-30", "2"], ["2026-02-30"]),
    (["calendar", "add-working-days", "9999-12-30", "5"], ["9999-12-31"]),
    (["calendar", "add-working-days", "2026-11-02", "99999999999"], ["N"]),
    (["calendar", "show", "2026-13"], ["month"]),
    (["calendar", "set", "someday", "holiday"], ["someday"]),
    (["clock", "advance", "999999999d"], ["by", "3660"]),
    (["clock", "advance", "9" * 5000 + "d"], ["by"]),
    (["no-such-command"], ["no-such-command"]),
])
def test_a_cli_error_is_one_line_and_stores_nothing(installed, args, words):
    before = _instances(installed)
    _one_line_error(relief(installed, *args), *words)
    assert _instances(installed) == before


def _bare(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RELIEF_")}
    # A data key, as production needs one (tests/engine/test_data_keys.py checks its absence).
    key = {"RELIEF_DATA_KEY": os.environ["RELIEF_DATA_KEY"]}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT,
                          env={**clean, **key, "RELIEF_VAR_DIR": str(tmp_path), **env}, capture_output=True, text=True,
                          timeout=120)


def test_an_unreachable_database_is_one_line(tmp_path):
    _one_line_error(_bare(tmp_path, "tasks", "--as", "centre",
                          RELIEF_DATABASE_URL="postgresql://nobody@127.0.0.1:9/none"), "database", "127.0.0.1")
    _one_line_error(_bare(tmp_path, "tasks", "--as", "centre",
                          RELIEF_DATABASE_URL=f"sqlite:///{tmp_path}/no/such/dir/x.sqlite"), "database")
    _one_line_error(_bare(tmp_path, "tasks", "--as", "centre"), "database", "relief db upgrade")


def test_production_needs_a_secret_only_to_serve(tmp_path):
    """`relief start`, `tasks` and `complete` read and write the database; only what signs
    tokens (the server) needs RELIEF_SECRET_KEY, and says so in one line."""
    _one_line_error(_bare(tmp_path, "serve", "--port", "1"), "RELIEF_SECRET_KEY")
    assert _bare(tmp_path, "db", "upgrade").returncode == 0
    proc = _bare(tmp_path, "tasks", "--as", "nobody")
    _one_line_error(proc, "nobody")
    assert "RELIEF_SECRET_KEY" not in proc.stderr
    _one_line_error(_bare(tmp_path, "clock", "advance", "1d"), "test or demo mode")
    _one_line_error(_bare(tmp_path, "tasks", "--as", "x", RELIEF_MODE="staging"), "RELIEF_MODE")
