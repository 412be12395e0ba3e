"""X-AUDIT: `relief audit verify | export | verify-file` as an operator runs them: one line,
exit 0 when the history proves itself, exit 1 naming the step when it does not."""

import json
import sqlite3
import zipfile

from engine.auth import create_user
from engine.store.db import Database
from tests.cli.test_cli import FIXTURES, relief


def _case(tmp_path) -> str:
    relief(tmp_path, "db", "upgrade", check=True)
    relief(tmp_path, "deploy", str(FIXTURES / "mini.bpmn"), check=True)
    db = Database(f"sqlite:///{tmp_path}/cli.sqlite")
    with db.session() as s:
        create_user(s, "centre", "long-enough-pw", ["dispatcher"], ["county-centre"])
    db.dispose()
    case = relief(tmp_path, "start", "mini_case", "--as", "centre", "--business-key", "CLI-A", check=True)
    case_id = case.stdout.split()[0]
    task_id = relief(tmp_path, "tasks", "--as", "centre", check=True).stdout.split()[0]
    relief(tmp_path, "complete", task_id, "--as", "centre", "--data", json.dumps({"approved": "yes"}), check=True)
    return case_id


def test_X_AUDIT_cli_verifies_exports_and_names_a_tampered_step(tmp_path):
    case_id = _case(tmp_path)
    ok = relief(tmp_path, "audit", "verify", case_id)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"OK {case_id}: ") and ok.stdout.count("\n") == 1

    every = relief(tmp_path, "audit", "verify", "--all", "--since", "2020-01-01")
    assert (every.returncode, every.stdout) == (
        0, "1 case(s) verified by re-execution, 0 failed; seals checked against the case heads, 0 problem(s)\n")
    assert relief(tmp_path, "audit", "verify", "--all", "--since", "2999-01-01").stdout.startswith("0 case(s)")

    out = tmp_path / "case.zip"
    relief(tmp_path, "audit", "export", case_id, "-o", str(out), check=True)
    checked = relief(tmp_path, "audit", "verify-file", str(out))
    assert checked.returncode == 0 and checked.stdout.startswith(f"OK {case_id}")

    with sqlite3.connect(tmp_path / "cli.sqlite") as con:
        (raw,) = con.execute("SELECT input FROM audit_events WHERE instance_id = ? AND command = 'complete_task'",
                             (case_id,)).fetchone()
        changed = json.loads(raw)
        changed["data"]["approved"] = "no"
        con.execute("UPDATE audit_events SET input = ? WHERE instance_id = ? AND command = 'complete_task'",
                    (json.dumps(changed), case_id))
        (seq,) = con.execute("SELECT seq FROM audit_events WHERE instance_id = ? AND command = 'complete_task'",
                             (case_id,)).fetchone()
    every = relief(tmp_path, "audit", "verify", "--all")
    assert every.returncode == 1
    assert every.stderr.splitlines() == [f"FAILED {case_id}: hash chain broken at step {seq} (hash mismatch)",
                                         "1 case(s) verified by re-execution, 1 failed; "
                                         "seals checked against the case heads, 0 problem(s)"]
    bad = relief(tmp_path, "audit", "verify", case_id)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr == f"FAILED {case_id}: hash chain broken at step {seq} (hash mismatch)\n"

    events = json.loads(zipfile.ZipFile(out).read("events.json"))
    events[-1]["actor"] = "someone-else"
    edited = tmp_path / "edited"
    zipfile.ZipFile(out).extractall(edited)
    (edited / "events.json").write_text(json.dumps(events), "utf-8")
    offline = relief(tmp_path, "audit", "verify-file", str(edited))
    assert offline.returncode == 1
    assert offline.stderr.startswith(f"FAILED: event {len(events)} (")

    missing = relief(tmp_path, "audit", "verify", "no-such-case")
    assert missing.returncode == 1 and missing.stderr.startswith("error: instance no-such-case does not exist")
