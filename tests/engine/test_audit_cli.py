"""X-AUDIT, J-SEC: `relief audit seal`, `verify --all` with the seals, `access-log`.

The CLI is thin over the engine (tested in test_audit_seals.py); these tests show that
each command reaches it, prints what an operator needs and exits non-zero on a problem."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from api.cli import main
from engine.audit.log import _EVENTS
from tests.engine.test_audit_replay import AUDITOR, OTHER_AUDITOR, jiangyin_case
from tests.support.scenario import Scenario


def test_X_AUDIT_verify_all_checks_the_seals_and_names_a_case_cut_short(scenario: Scenario, cli_env) -> None:
    engine = scenario.engine
    case = jiangyin_case(scenario, "JY-CLI-1")
    sealed = CliRunner().invoke(main, ["audit", "seal"])
    assert sealed.exit_code == 0 and sealed.output.startswith("seal 1 at ")
    fine = CliRunner().invoke(main, ["audit", "verify", "--all"])
    assert fine.exit_code == 0, fine.output
    assert "failed; seals checked against the case heads, 0 problem(s)" in fine.output
    check = engine.case_checks([case.id])[case.id]  # each case's verdict kept for the auditor's list
    assert check.ok and check.source == "cli" and check.line.startswith(f"OK {case.id}")
    last = len(case.history())
    with engine.db.session() as s:
        s.execute(_EVENTS.delete().where(_EVENTS.c.instance_id == case.id, _EVENTS.c.seq == last))
    broken = CliRunner().invoke(main, ["audit", "verify", "--all"])
    assert broken.exit_code == 1
    assert f"FAILED {case.id}: events {last}-{last} were cut off after seal 1" in broken.output
    assert "1 problem(s)" in broken.output
    assert not engine.case_checks([case.id])[case.id].ok
    one = CliRunner().invoke(main, ["audit", "verify", case.id])
    assert one.exit_code == 1 and not engine.case_checks([case.id])[case.id].ok


def test_X_AUDIT_nightly_command_stores_the_run(scenario: Scenario, cli_env) -> None:
    engine = scenario.engine
    jiangyin_case(scenario, "JY-CLI-2")
    ran = CliRunner().invoke(main, ["audit", "nightly"])
    assert ran.exit_code == 0, ran.output
    run = engine.latest_audit_run()
    assert run is not None and run.failed == 0 and f"{run.checked} case(s) verified, 0 failure(s)" in ran.output


def test_J_SEC_access_log_by_user_case_and_period(scenario: Scenario, cli_env) -> None:
    engine = scenario.engine
    case = jiangyin_case(scenario, "JY-CLI-3")
    engine.audit_replay_for(AUDITOR, case.id)
    engine.audit_replay_for(AUDITOR, case.id, reveal="核对申请人身份证号")
    engine.log_access("someone-else", f"case:{case.id}", case.id, ["id_number"])
    everything = CliRunner().invoke(main, ["audit", "access-log"])
    assert everything.exit_code == 0 and "3 of 3 entries" in everything.output
    mine = CliRunner().invoke(main, ["audit", "access-log", "--user", AUDITOR.username, "--case", "CLI-3"])
    lines = [line.split("\t") for line in mine.output.splitlines() if "\t" in line]
    assert [line[1] for line in lines] == [AUDITOR.username] * 2
    assert lines[0][2] == "JY-CLI-3" and lines[0][3] == f"audit:reveal:{case.id}:核对申请人身份证号"
    today = engine.clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    later = CliRunner().invoke(main, ["audit", "access-log", "--since", str(today + dt.timedelta(days=1))])
    assert "0 of 0 entries" in later.output
    other_case = CliRunner().invoke(main, ["audit", "access-log", "--case", "NO-SUCH"])
    assert "0 of 0 entries" in other_case.output
    # An auditor of another region sees none of it.
    rows, total = engine.access_log_for(OTHER_AUDITOR)
    assert (rows, total) == ([], 0)
    rows, total = engine.access_log_for(AUDITOR, until=today - dt.timedelta(days=1))
    assert total == 0
    rows, total = engine.access_log_for(AUDITOR, since=today, until=today, limit=2, offset=2)
    assert total == 3 and [r.resource for r in rows] == [f"audit:replay:{case.id}"]  # the oldest, newest first
    newest, _ = engine.access_log_for(AUDITOR)
    assert [(r.what, r.reason) for r in newest] == [
        ("case", ""), ("audit:reveal", "核对申请人身份证号"), ("audit:replay", "")]


def test_X_AUDIT_verify_all_progress_is_live_on_a_terminal_and_sparse_in_a_log(capsys, monkeypatch) -> None:
    import sys

    from api.cli_audit import PROGRESS_EVERY, _progress

    for n in range(1, PROGRESS_EVERY + 2):
        _progress(n)
    assert capsys.readouterr().err == f"… {PROGRESS_EVERY} case(s) verified\n"  # a log: one line per 100
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    _progress(7)
    assert capsys.readouterr().err == "\r7 case(s) verified …"  # a terminal: the counter in place
