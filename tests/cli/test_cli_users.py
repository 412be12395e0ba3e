"""`relief users …` as an administrator runs it on a server (J-SEC): real processes, exit
codes, one line per problem, and sign-ins that end when a user is disabled or given a
new password."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from engine.errors import Unauthorized
from engine.service import Engine
from tests.cli.test_cli import ROOT


def _relief(tmp_path, *args, stdin: str | None = None):
    env = {**os.environ, "RELIEF_DATABASE_URL": f"sqlite:///{tmp_path}/users.sqlite", "RELIEF_MODE": "test",
           "RELIEF_VAR_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, input=stdin, timeout=120)


def _engine(tmp_path) -> Engine:
    return Engine(f"sqlite:///{tmp_path}/users.sqlite")


def test_J_SEC_users_add_list_passwd_disable_enable(tmp_path):
    assert _relief(tmp_path, "db", "upgrade").returncode == 0
    added = _relief(tmp_path, "users", "add", "wang-min", "--name", "受理窗口 王敏", "--role", "clerk",
                    "--group", "window", "--region", "320281", "--password-stdin", stdin="first-pass-1\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "added wang-min (clerk)"
    listing = _relief(tmp_path, "users", "list").stdout
    assert "wang-min" in listing and "320281" in listing and "受理窗口 王敏" in listing

    engine = _engine(tmp_path)
    engine.users.sign_in("wang-min", "first-pass-1", "token", None)
    web = engine.users.sign_in("wang-min", "first-pass-1", "web", None).secret

    changed = _relief(tmp_path, "users", "passwd", "wang-min", "--password-stdin", stdin="second-pass-2\n")
    assert changed.returncode == 0 and "2 sign-in(s) ended" in changed.stdout
    with pytest.raises(Unauthorized, match="password changed"):
        engine.users.principal_for(web, "web")
    web = engine.users.sign_in("wang-min", "second-pass-2", "web", None).secret

    disabled = _relief(tmp_path, "users", "disable", "wang-min")
    assert disabled.returncode == 0 and "their sign-ins have ended" in disabled.stdout
    with pytest.raises(Unauthorized):
        engine.users.principal_for(web, "web")
    assert "wang-min" not in _relief(tmp_path, "users", "list").stdout
    assert "[disabled]" in _relief(tmp_path, "users", "list", "--all").stdout
    assert _relief(tmp_path, "users", "enable", "wang-min").returncode == 0
    assert "wang-min" in _relief(tmp_path, "users", "list", "--role", "clerk").stdout
    engine.dispose()


def test_J_SEC_users_add_refuses_bad_input_with_one_line_each(tmp_path):
    assert _relief(tmp_path, "db", "upgrade").returncode == 0
    bad = _relief(tmp_path, "users", "add", "x y", "--role", "clerk", "--region", "3202", "--password-stdin",
                  stdin="short\n")
    assert bad.returncode == 1
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the user cannot be created (")
    assert sorted(part.split(":")[0].strip() for part in lines[0].split("(", 1)[1].rstrip(")").split("; ")) == \
        ["password", "region", "username"]
    assert "Traceback" not in bad.stderr
    unknown = _relief(tmp_path, "users", "disable", "nobody")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "error: no user 'nobody'"
    role = _relief(tmp_path, "users", "add", "someone", "--role", "boss", "--password-stdin", stdin="long-enough-1\n")
    assert role.returncode == 2 and "'boss' is not one of" in role.stderr


def test_J_SEC_users_import_is_all_or_nothing_naming_row_and_field(tmp_path):
    assert _relief(tmp_path, "db", "upgrade").returncode == 0
    bad = tmp_path / "staff.csv"
    bad.write_text("username,display_name,roles,groups,department,region\n"
                   "zhou,周一,clerk,window,,320281\n"
                   "wu,吴二,clerk;nobody,village,,32028110\n", "utf-8")
    proc = _relief(tmp_path, "users", "import", str(bad))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: staff.csv: 2 problem(s), nothing imported",
        "  staff.csv:3 roles: unknown role(s): nobody (known: admin, designer, clerk, dispatcher, caseworker, "
        "leader, supervisor, auditor, applicant, system)",
        "  staff.csv:3 region: '32028110' is not a GB/T 2260 division code (6 digits for a county, 9 for a "
        "township, 12 for a village)"]
    assert "zhou" not in _relief(tmp_path, "users", "list").stdout

    good = tmp_path / "good.csv"
    good.write_text("username,display_name,roles,groups,department,region\n"
                    "zhou,周一,clerk,window,,320281\n"
                    "wu,吴二,clerk,village,,320281100201\n", "utf-8")
    out = tmp_path / "passwords.tsv"
    proc = _relief(tmp_path, "users", "import", str(good), "--passwords-out", str(out))
    assert proc.returncode == 0 and "imported 2 user(s)" in proc.stdout
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    passwords = dict(line.split("\t") for line in out.read_text("utf-8").splitlines())
    assert sorted(passwords) == ["wu", "zhou"]
    engine = _engine(tmp_path)
    signed_in = engine.users.sign_in("wu", passwords["wu"], "web", None)
    assert signed_in.must_change_password and signed_in.principal.region == "320281100201"
    engine.dispose()
