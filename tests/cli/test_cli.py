"""The `relief` command as an operator runs it: real processes, exit codes, messages."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def relief(tmp_path, *args, check=False):
    env = {**os.environ, "RELIEF_DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite", "RELIEF_MODE": "test",
           "RELIEF_VAR_DIR": str(tmp_path), "RELIEF_FORMS_ROOT": str(FIXTURES / "forms")}
    proc = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_db_upgrade_deploy_start_tasks_complete(tmp_path):
    relief(tmp_path, "db", "upgrade", check=True)
    out = relief(tmp_path, "deploy", str(FIXTURES / "mini.bpmn"), check=True).stdout
    assert "mini_case:1" in out
    again = relief(tmp_path, "deploy", str(FIXTURES / "mini.bpmn"), check=True).stdout
    assert "unchanged" in again and "mini_case:1" in again
    from engine.auth import create_user
    from engine.store.db import Database

    db = Database(f"sqlite:///{tmp_path}/cli.sqlite")
    with db.session() as s:
        create_user(s, "centre", "long-enough-pw", ["dispatcher"], ["county-centre"])
    db.dispose()
    started = relief(tmp_path, "start", "mini_case", "--as", "centre", "--business-key", "CLI-1", check=True)
    assert "running" in started.stdout
    listing = relief(tmp_path, "tasks", "--as", "centre", check=True).stdout
    task_id = listing.split()[0]
    assert "Task_Review" in listing
    bad = relief(tmp_path, "complete", task_id, "--as", "centre", "--data", json.dumps({"approved": "maybe"}))
    assert bad.returncode == 1 and "approved" in bad.stderr
    done = relief(tmp_path, "complete", task_id, "--as", "centre", "--data", json.dumps({"approved": "no"}),
                  check=True)
    assert "completed" in done.stdout


def test_deploy_of_a_bad_diagram_exits_non_zero_naming_file_line_and_element(tmp_path):
    relief(tmp_path, "db", "upgrade", check=True)
    bad = tmp_path / "bad.bpmn"
    bad.write_text((FIXTURES / "mini.bpmn").read_text("utf-8").replace("approved == 'yes'", "__import__('os')"),
                   "utf-8")
    proc = relief(tmp_path, "deploy", str(bad))
    assert proc.returncode == 1
    assert "bad.bpmn" in proc.stderr and "Flow_Yes" in proc.stderr and "__import__" in proc.stderr


def test_deploy_of_a_missing_path_exits_non_zero(tmp_path):
    relief(tmp_path, "db", "upgrade", check=True)
    proc = relief(tmp_path, "deploy", str(tmp_path / "nope.bpmn"))
    assert proc.returncode == 1 and "does not exist" in proc.stderr


def test_issue7_deploy_of_a_100000_deep_form_exits_non_zero_naming_the_file_without_traceback(tmp_path):
    forms = tmp_path / "forms" / "t"
    forms.mkdir(parents=True)
    (forms / "deep.json").write_text('{"type": "default", "components": [], "x": ' + "[" * 100_000 + "]" * 100_000
                                     + "}")
    diagram = (FIXTURES / "mini.bpmn").read_text("utf-8").replace("mini/review.json", "t/deep.json")
    (tmp_path / "deep.bpmn").write_text(diagram, "utf-8")
    relief(tmp_path, "db", "upgrade", check=True)
    env = {**os.environ, "RELIEF_DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite", "RELIEF_MODE": "test",
           "RELIEF_VAR_DIR": str(tmp_path), "RELIEF_FORMS_ROOT": str(tmp_path / "forms")}
    proc = subprocess.run([sys.executable, "-m", "api.cli", "deploy", str(tmp_path / "deep.bpmn")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "t/deep.json" in proc.stderr.splitlines()[0]
    assert "Traceback" not in proc.stderr
