"""X-AUDIT: a case's history proves itself by re-execution, and its export checks offline.

Full cases of the three variants are re-executed step by step from their audit events on a
fresh workflow of their own definition version; tampering with the stored history (in the
database, with or without forging the hash chain) is found and named; the audit file
checks without the database and fails when one event in it is edited."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.audit.log import _EVENTS, GENESIS, event_hash
from engine.auth import Principal
from engine.crypto import seal
from engine.crypto.columns import session_keyring
from engine.errors import Forbidden, ValidationFailed
from engine.service import Engine
from engine.store.models import AccessLog
from tests.scenarios import test_jiangyin as jy
from tests.scenarios import test_tengzhou as tz
from tests.scenarios import test_wuhai as wh
from tests.support.scenario import Case, Scenario

AUDITOR = Principal(username="auditor-jy", roles=("auditor",), region="320281")
OTHER_AUDITOR = Principal(username="auditor-yx", roles=("auditor",), region="320282")


def jiangyin_case(scenario: Scenario, key: str = "JY-AUDIT-1") -> Case:
    """J-FLOW: accepted, dispatched to one department, handled with a village check, summarised."""
    case = jy.accepted(scenario, key)
    jy.dispatch(case)
    jy.handle(case, "civil-affairs", verification="village", amount=1160)
    case.complete("Task_Summary", {"summary": "经民政局审核，自12月起享受最低生活保障", "refer": "no"})
    assert case.status == "completed"
    return case


def wuhai_case(scenario: Scenario) -> Case:
    """W-FLOW: reviewed, leader agrees, the department handles, the window feeds back, posted."""
    case = wh.reviewed(scenario, "WH-AUDIT-1")
    case.complete("Task_LeaderApprove", wh.AGREE)
    wh.departments_handle(case, {"civil-affairs": True})
    case.complete("Task_WindowFeedback", wh.FEEDBACK)
    case.complete("Task_PublicPosting", wh.POSTING)
    assert case.status == "completed"
    return case


def tengzhou_case(scenario: Scenario) -> Case:
    """T-FLOW: household from the data platform, signed, assessed, two departments, summarised."""
    tz.seed_three_person_household(scenario)
    case = scenario.start(tz.PROCESS, tz.application(tz.ZHANG, "张桂兰", aid_types=["dibao", "medical"]),
                          business_key="TZ-AUDIT-1")
    case.complete("Task_SignCommitment", tz.SIGNED)
    tz.assess_eligible(case, ["dibao", "medical"], ["civil-affairs", "medical-security"])
    tz.departments_handle(case, {
        "civil-affairs": {"approved": True, "decision": "纳入最低生活保障", "amount": 1350},
        "medical-security": {"approved": True, "decision": "住院自付费用按70%救助", "amount": 8200}})
    case.complete("Task_Summarise", {"summary_opinion": "低保与医疗救助", "service_need": "no"})
    assert case.status == "completed"
    return case


def _assert_re_executes(engine: Engine, case: Case) -> None:
    result = engine.replay_case(case.id)
    assert result.ok, result.line()
    assert result.line().startswith(f"OK {case.id}")
    assert all(step.replayed for step in result.steps)
    assert len(result.steps) == len(case.history()) > 10
    assert result.steps[0].command == "start_instance" and result.steps[0].active
    assert result.steps[-1].active == []
    assert any(e.startswith("End_") for e in result.steps[-1].completed)


def test_X_AUDIT_full_jiangyin_case_re_executes_to_its_recorded_history(scenario: Scenario) -> None:
    engine = scenario.engine
    _assert_re_executes(engine, jiangyin_case(scenario))


def test_X_AUDIT_full_wuhai_case_re_executes_to_its_recorded_history(scenario: Scenario) -> None:
    _assert_re_executes(scenario.engine, wuhai_case(scenario))


def test_X_AUDIT_full_tengzhou_case_re_executes_to_its_recorded_history(scenario: Scenario) -> None:
    case = tengzhou_case(scenario)
    _assert_re_executes(scenario.engine, case)
    # The data platform's answers (job results) are part of what re-execution replays.
    result = scenario.engine.replay_case(case.id)
    assert any(c["key"] == "household_lookup" for step in result.steps for c in step.data_changes)


# ------------------------------------------------------------------------ tampering
def _raw(engine: Engine, case: Case, seq: int) -> dict:
    with engine.db.session() as s:
        row = s.execute(sa.select(_EVENTS).where(_EVENTS.c.instance_id == case.id, _EVENTS.c.seq == seq)).one()
        return dict(row._mapping)


def _seq_of(case: Case, element: str) -> int:
    return next(e.seq for e in case.history() if e.command == "complete_task" and e.input["element"] == element)


def _update(engine: Engine, case: Case, seq: int, forge: bool = False, **values: object) -> None:
    """UPDATE one stored event; `forge`: then recompute every hash from it on, as a forger
    with database access would, so that only re-execution can tell."""
    with engine.db.session() as s:
        s.execute(_EVENTS.update().where(_EVENTS.c.instance_id == case.id, _EVENTS.c.seq == seq).values(**values))
        if not forge:
            return
        keyring = session_keyring(s)
        rows = s.execute(sa.select(_EVENTS).where(_EVENTS.c.instance_id == case.id).order_by(_EVENTS.c.seq)).all()
        prev = GENESIS
        for r in rows:
            digest = event_hash(prev, r.instance_id, r.seq, r.command, r.actor, r.at,
                                seal.hash_view(keyring, r.input), seal.hash_view(keyring, r.changes))
            s.execute(_EVENTS.update().where(_EVENTS.c.id == r.id).values(prev_hash=prev, hash=digest))
            prev = digest


def test_X_AUDIT_changed_event_data_breaks_the_chain_at_that_step(scenario: Scenario) -> None:
    engine = scenario.engine
    case = jiangyin_case(scenario)
    seq = _seq_of(case, "Task_Accept")
    event = _raw(engine, case, seq)
    _update(engine, case, seq, input={**event["input"], "data": {**event["input"]["data"], "urgent": "yes"}})
    result = engine.replay_case(case.id)
    assert not result.ok
    assert result.chain["broken_at"] == seq
    assert result.line() == f"FAILED {case.id}: hash chain broken at step {seq} (hash mismatch)"


def test_X_AUDIT_forged_chain_with_changed_form_data_is_caught_by_re_execution(scenario: Scenario) -> None:
    """The chain recomputed after the change verifies; re-execution with the changed data
    takes another path at that very step (the joint meeting instead of dispatch)."""
    engine = scenario.engine
    case = jiangyin_case(scenario)
    seq = _seq_of(case, "Task_Accept")
    event = _raw(engine, case, seq)
    _update(engine, case, seq, forge=True,
            input={**event["input"], "data": {**event["input"]["data"], "urgent": "yes"}})
    result = engine.replay_case(case.id)
    assert result.chain["valid"] is True
    assert not result.ok and result.divergence.seq == seq
    assert f"step {seq} (complete_task)" in result.line()
    assert result.divergence.field in ("element", "changes")


def test_X_AUDIT_forged_chain_with_changed_task_state_names_step_element_and_field(scenario: Scenario) -> None:
    engine = scenario.engine
    case = wuhai_case(scenario)
    seq = _seq_of(case, "Task_LeaderApprove")
    changes = _raw(engine, case, seq)["changes"]
    changes[0] = {**changes[0], "to": "CANCELLED"}
    _update(engine, case, seq, forge=True, changes=changes)
    result = engine.replay_case(case.id)
    assert result.chain["valid"] is True and not result.ok
    d = result.divergence
    assert (d.seq, d.element, d.field, d.recorded, d.replayed) == (seq, changes[0]["element"], "to", "CANCELLED",
                                                                    "COMPLETED")


def test_X_AUDIT_truncated_newest_events_no_longer_reach_the_stored_state(scenario: Scenario) -> None:
    engine = scenario.engine
    case = jiangyin_case(scenario)
    last = len(case.history())
    with engine.db.session() as s:
        s.execute(_EVENTS.delete().where(_EVENTS.c.instance_id == case.id, _EVENTS.c.seq == last))
    result = engine.replay_case(case.id)
    assert result.chain["valid"] is True and not result.ok
    assert result.divergence.seq == 0 and "final state" in result.line()


def test_X_AUDIT_deleted_event_in_the_middle_is_named(scenario: Scenario) -> None:
    engine = scenario.engine
    case = jiangyin_case(scenario)
    with engine.db.session() as s:
        s.execute(_EVENTS.delete().where(_EVENTS.c.instance_id == case.id, _EVENTS.c.seq == 4))
    result = engine.replay_case(case.id)
    assert (result.chain["broken_at"], result.chain["reason"]) == (4, "missing event")
    assert "chain broken at step 4" in result.line()


# ------------------------------------------------------------------------ export
def _offline(path: Path) -> subprocess.CompletedProcess:
    """The export's own script, run by a plain interpreter outside the project (stdlib only)."""
    folder = path.parent / "unpacked"
    with zipfile.ZipFile(path) as archive:
        archive.extract("verify_chain.py", folder)
    return subprocess.run([sys.executable, "-I", str(folder / "verify_chain.py"), str(path)], cwd=folder,
                          capture_output=True, text=True, timeout=60)


def test_X_AUDIT_export_checks_offline_and_an_edited_event_fails_naming_it(scenario: Scenario,
                                                                          tmp_path: Path) -> None:
    engine = scenario.engine
    case = jiangyin_case(scenario)
    content = engine.audit_export_for(AUDITOR, case.id)
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = set(archive.namelist())
    assert {"manifest.json", "events.json", "verify_chain.py"} <= names
    assert any(n.startswith("definition/") and n.endswith(".bpmn") for n in names)
    assert any(n.startswith("definition/") and n.endswith(".json") for n in names)  # the forms
    events = json.loads(archive.read("events.json"))
    assert len(events) == len(case.history())
    assert jy.APPLICANT_ID not in archive.read("events.json").decode()  # sealed: commitments only
    good = tmp_path / "case.zip"
    good.write_bytes(content)
    proc = _offline(good)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"OK {case.id}: {len(events)} events")

    seq = _seq_of(case, "Task_Accept")
    events[seq - 1]["input"]["data"]["eligible"] = "no"
    bad = tmp_path / "edited.zip"
    with zipfile.ZipFile(bad, "w") as out:
        for name in archive.namelist():
            out.writestr(name, json.dumps(events) if name == "events.json" else archive.read(name))
    proc = _offline(bad)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"FAILED: event {seq} (complete_task) was changed: its hash does not match"


# ------------------------------------------------------------------------ scope, masking, access log
def test_X_AUDIT_J_SEC_auditor_reads_are_scoped_masked_and_logged(scenario: Scenario) -> None:
    engine = scenario.engine
    case = jiangyin_case(scenario)
    with pytest.raises(Forbidden):
        engine.audit_replay_for(OTHER_AUDITOR, case.id)
    with pytest.raises(Forbidden):
        engine.audit_export_for(OTHER_AUDITOR, case.id)
    masked = engine.audit_replay_for(AUDITOR, case.id)
    start = masked.steps[0]
    assert start.input["data"]["applicant_id_number"] != jy.APPLICANT_ID
    assert start.input["data"]["applicant_id_number"].startswith(jy.APPLICANT_ID[:6])
    shown = {c["key"]: c["after"] for c in start.data_changes}
    assert shown["applicant_phone"] != "13912345678"
    with pytest.raises(ValidationFailed):
        engine.audit_replay_for(AUDITOR, case.id, reveal="  ")
    revealed = engine.audit_replay_for(AUDITOR, case.id, reveal="核查身份证号")
    assert revealed.steps[0].input["data"]["applicant_id_number"] == jy.APPLICANT_ID
    with engine.db.session() as s:
        log = [(a.actor, a.resource, a.fields) for a in s.scalars(
            sa.select(AccessLog).where(AccessLog.instance_id == case.id).order_by(AccessLog.id))]
    assert (AUDITOR.username, f"audit:replay:{case.id}", []) in log
    assert log[-1][:2] == (AUDITOR.username, f"audit:reveal:{case.id}:核查身份证号")
    assert "applicant_id_number" in log[-1][2] and "applicant_phone" in log[-1][2]
    assert (AUDITOR.username, f"audit:export:{case.id}", []) not in log  # nothing exported yet
    engine.audit_export_for(AUDITOR, case.id)
    with engine.db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AccessLog).where(
            AccessLog.resource == f"audit:export:{case.id}")) == 1


def test_X_AUDIT_forged_job_result_is_caught_where_the_data_differs(scenario: Scenario) -> None:
    """The data platform's answer (a job result) changed and the chain forged: re-execution
    carries the changed answer into the case, and the difference is named."""
    engine = scenario.engine
    case = tengzhou_case(scenario)
    seq = next(e.seq for e in case.history() if e.command == "complete_job" and e.input["topic"] == "household.fetch")
    event = _raw(engine, case, seq)
    result = event["input"]["result"]
    forged = {**result, "household": {**result["household"], "income_per_capita": 9999}}
    _update(engine, case, seq, forge=True, input={**event["input"], "result": forged})
    replayed = engine.replay_case(case.id)
    assert replayed.chain["valid"] is True and not replayed.ok
    d = replayed.divergence
    assert (d.seq, d.element, d.field) == (0, "Service_FetchHousehold", "data.household_lookup")
    assert d.replayed["household"]["income_per_capita"] == 9999 != d.recorded["household"]["income_per_capita"]


@pytest.mark.parametrize("how", ["swap", "insert", "actor", "time"])
def test_X_AUDIT_reordered_inserted_or_rewritten_events_break_the_chain_at_the_first_place(
        scenario: Scenario, how: str) -> None:
    engine = scenario.engine
    case = jiangyin_case(scenario, f"JY-AUDIT-{how}")
    with engine.db.session() as s:
        where = (_EVENTS.c.instance_id == case.id)
        if how == "swap":  # events 3 and 4 change places (seq moved out of the way first: it is unique)
            s.execute(_EVENTS.update().where(where, _EVENTS.c.seq == 3).values(seq=-3))
            s.execute(_EVENTS.update().where(where, _EVENTS.c.seq == 4).values(seq=3))
            s.execute(_EVENTS.update().where(where, _EVENTS.c.seq == -3).values(seq=4))
        elif how == "insert":  # a copy of event 2 put in as 2, the rest moved up
            rows = s.execute(sa.select(_EVENTS).where(where, _EVENTS.c.seq >= 2).order_by(_EVENTS.c.seq.desc())).all()
            for r in rows:
                s.execute(_EVENTS.update().where(_EVENTS.c.id == r.id).values(seq=r.seq + 1))
            copy = dict(rows[-1]._mapping)
            copy.pop("id")
            s.execute(_EVENTS.insert().values(**copy))
        elif how == "actor":
            s.execute(_EVENTS.update().where(where, _EVENTS.c.seq == 3).values(actor="someone-else"))
        else:
            s.execute(_EVENTS.update().where(where, _EVENTS.c.seq == 3).values(
                at=dt.datetime(2026, 11, 5, 1, 0, tzinfo=dt.UTC)))
    result = engine.replay_case(case.id)
    assert not result.ok
    assert result.chain["broken_at"] == 3
    assert "hash chain broken at step 3" in result.line()


def _rezip(archive: zipfile.ZipFile, path: Path, **replaced: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as out:
        for name in archive.namelist():
            out.writestr(name, replaced.get(name.replace(".", "_"), archive.read(name)))
    return path


def test_X_AUDIT_export_holds_the_seals_covering_the_case_and_a_masked_readable_pdf(scenario: Scenario,
                                                                                  tmp_path: Path) -> None:
    """The audit file carries every seal over the case's head; offline, each seal's hash and
    its sealed head are checked against the events (a cut-short or forged export is named);
    history.pdf is the history to read, CJK text, personal data masked, its digest in the manifest."""
    from tests.support.material_files import pdf_text

    engine = scenario.engine
    case = jiangyin_case(scenario, "JY-AUDIT-SEALED")
    engine.seal_audit("nightly")
    engine.seal_audit("nightly")
    content = engine.audit_export_for(AUDITOR, case.id)
    archive = zipfile.ZipFile(io.BytesIO(content))
    manifest = json.loads(archive.read("manifest.json"))
    seals = json.loads(archive.read("seals.json"))
    assert [s["seq"] for s in seals] == [1, 2] and manifest["seals"] == 2
    assert all(s["head"] == [case.id, len(case.history()), manifest["head"]] for s in seals)
    assert {"seals.json", "history.pdf"} <= set(manifest["files"])
    good = tmp_path / "sealed.zip"
    good.write_bytes(content)
    proc = _offline(good)
    assert proc.returncode == 0, proc.stderr
    assert "2 seal(s) covering it hold" in proc.stdout

    text = pdf_text(archive.read("history.pdf"))
    assert "案件审计记录" in text and "JY-AUDIT-SEALED" in text and "办理任务" in text and "complete_task" in text
    assert jy.APPLICANT_ID not in text.replace("\n", "")  # masked, as on every page
    assert jy.APPLICANT_ID[:4] in text.replace("\n", "")  # …but the masked number is there

    # The newest event cut off in the export (the manifest's head and count rewritten to match).
    events = json.loads(archive.read("events.json"))
    manifest_cut = {**manifest, "events": len(events) - 1, "head": events[-2]["hash"]}
    cut = _rezip(archive, tmp_path / "cut.zip", events_json=json.dumps(events[:-1]).encode(),
                 manifest_json=json.dumps(manifest_cut).encode())
    proc = _offline(cut)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith(f"FAILED: events {len(events)}-{len(events)} were cut off after seal 1 of")
    # A seal's time changed: its own hash no longer matches (seals.json's digest fixed up too).
    forged = [{**seals[0], "sealed_at": "2020-01-01T00:00:00+00:00"}, seals[1]]
    body = json.dumps(forged).encode()
    manifest_forged = {**manifest, "files": {**manifest["files"], "seals.json": hashlib.sha256(body).hexdigest()}}
    proc = _offline(_rezip(archive, tmp_path / "forged.zip", seals_json=body,
                           manifest_json=json.dumps(manifest_forged).encode()))
    assert proc.returncode == 1
    assert proc.stderr.strip() == "FAILED: seal 1 of 2020-01-01T00:00:00+00:00 was changed: its hash does not match"
    # The PDF swapped for another: its digest no longer matches the manifest.
    proc = _offline(_rezip(archive, tmp_path / "pdf.zip", history_pdf=b"%PDF-1.7 another"))
    assert proc.returncode == 1 and "file history.pdf was changed" in proc.stderr
