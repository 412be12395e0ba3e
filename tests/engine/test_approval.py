"""A new version of a process that already has cases takes new cases only after a second
person's approval (issue 9: designers cannot silently replace intake; X-DESIGN, J-SEC),
on SQLite and PostgreSQL, through the engine, the API and the CLI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from api.cli import main
from engine.audit import verify_chain
from engine.auth import Principal, create_user
from engine.definitions.approval import CHAIN
from engine.errors import Conflict, Forbidden
from engine.store.models import AuditEvent, HumanTask, User
from tests.api.conftest import live  # noqa: F401 - the live API server fixture
from tests.engine.helpers import mini_bundle, mini_xml, unique_key

CENTRE = Principal("centre-1", ("dispatcher",), ("county-centre",))


def _revised(key: str) -> list:
    return mini_bundle(mini_xml(key).replace('name="审核"', 'name="复核"'))


def _open_task(engine, instance_id: str) -> HumanTask:
    with engine.db.session() as s:
        return s.scalar(sa.select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "open"))


def test_X_DESIGN_first_version_and_versions_of_a_process_without_cases_need_no_approval(engine):
    key = unique_key()
    [v1] = engine.deploy(mini_bundle(mini_xml(key)), "designer-a").definitions
    [v2] = engine.deploy(_revised(key), "designer-a").definitions  # still no case anywhere
    assert (v1.approval_required, v2.approval_required) == (False, False)
    assert engine.start(key, {}, "A-1", "clerk").definition.version == 2
    assert engine.pending_approvals() == []


def test_J_SEC_new_version_of_a_process_with_cases_waits_for_a_second_persons_approval(engine):
    key = unique_key()
    engine.deploy(mini_bundle(mini_xml(key)), "designer-a")
    running = engine.start(key, {}, "B-1", "clerk")
    [v2] = engine.deploy(_revised(key), "designer-a").definitions
    assert (v2.version, v2.approval_required, v2.approved_at) == (2, True, None)
    assert [f"{d.key}:{d.version}" for d in engine.pending_approvals()] == [f"{key}:2"]

    # Before approval: new cases by key start on version 1; version 2 by name is refused.
    assert engine.start(key, {}, "B-2", "clerk").definition.version == 1
    with pytest.raises(Conflict) as refused:
        engine.start(f"{key}:2", {}, "B-3", "clerk")
    assert refused.value.details == {"definition": f"{key}:2", "approval": "pending"}
    # The deployer cannot approve their own version.
    with pytest.raises(Forbidden):
        engine.approve_definition(key, 2, "designer-a")
    assert engine.start(key, {}, "B-4", "clerk").definition.version == 1

    approved = engine.approve_definition(key, 2, "designer-b")
    assert approved.approved_by == "designer-b" and approved.approved_at <= engine.clock.now()
    assert engine.start(key, {}, "B-5", "clerk").definition.version == 2
    assert engine.pending_approvals() == []
    with pytest.raises(Conflict):
        engine.approve_definition(key, 2, "designer-c")

    # Running cases stay on their version and finish on it.
    assert engine.instance(running.id).definition.version == 1
    task = _open_task(engine, running.id)
    assert task.name == "审核"
    engine.claim(task.id, CENTRE)
    engine.complete(task.id, {"approved": "no"}, CENTRE)
    assert engine.instance(running.id).status == "completed"
    assert engine.instance(running.id).definition.version == 1

    # Audited: who deployed, who approved, when, in a chain of its own that verifies.
    with engine.db.session() as s:
        events = s.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == CHAIN)
                           .order_by(AuditEvent.seq)).all()
        mine = [e for e in events if f"{key}:2" in str(e.input)]
        assert [(e.command, e.actor) for e in mine] == [("deploy", "designer-a"), ("approve_definition", "designer-b")]
        assert mine[0].input["versions"] == {f"{key}:2": "pending"}
        assert mine[1].input["deployed_by"] == "designer-a"
        assert verify_chain(s, CHAIN)["valid"]


def test_X_DESIGN_relief_demo_redeploys_its_own_files_without_approval(engine):
    key = unique_key()
    engine.deploy(mini_bundle(mini_xml(key)), "demo")
    engine.start(key, {}, "C-1", "clerk")
    [again] = engine.deploy(mini_bundle(mini_xml(key)), "demo", require_approval=False).definitions
    assert again.version == 1  # the same files: the same version, nothing to approve
    [changed] = engine.deploy(_revised(key), "demo", require_approval=False).definitions
    assert (changed.version, changed.approval_required) == (2, False)
    assert engine.start(key, {}, "C-2", "clerk").definition.version == 2
    with engine.db.session() as s:
        [event] = [e for e in s.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == CHAIN))
                   if f"{key}:2" in str(e.input)]
    assert event.input["versions"] == {f"{key}:2": "not_required"} and "relief demo" in event.input["note"]


def _second_designer(engine) -> None:
    with engine.db.session() as s:
        if s.scalar(sa.select(User).where(User.username == "designer2")) is None:
            create_user(s, "designer2", "demo-pass-2026", ["designer"], [], None, None, "第二设计员",
                        engine.clock.now())


def test_J_SEC_approval_over_http_only_by_another_designer(live, engine):  # noqa: F811
    key = unique_key()
    upload = [("files", ("mini.bpmn", mini_xml(key).encode(), "application/xml")),
              ("files", ("mini/review.json", mini_bundle()[1].content, "application/json"))]
    assert live.call("POST", "/api/v1/deployments", as_="designer", files=upload).status_code == 201
    started = live.call("POST", "/api/v1/instances", as_="window", json={"definition": key, "business_key": "H-1"})
    assert started.status_code == 201, started.text
    revised = [("files", ("mini.bpmn", mini_xml(key).replace('name="审核"', 'name="复核"').encode(),
                          "application/xml")), upload[1]]
    deployed = live.call("POST", "/api/v1/deployments", as_="designer", files=revised).json()
    [v2] = deployed["definitions"]
    assert (v2["version"], v2["approval"], v2["deployed_by"]) == (2, "pending", "designer")

    pending = live.call("GET", "/api/v1/definitions/pending", as_="designer")
    assert [(d["key"], d["version"]) for d in pending.json()] == [(key, 2)]
    assert live.call("GET", "/api/v1/definitions/pending", as_="window").status_code == 403
    second = live.call("POST", "/api/v1/instances", as_="window", json={"definition": key, "business_key": "H-2"})
    assert second.json()["definition"] == f"{key}:1"

    ref = f"/api/v1/definitions/{key}:2/approval"
    own = live.call("POST", ref, as_="designer")
    assert own.status_code == 403 and "cannot approve" in own.json()["message"]
    assert live.call("POST", ref, as_="window").status_code == 403
    bad = live.call("POST", f"/api/v1/definitions/{key}/approval", as_="admin")
    assert bad.status_code == 422 and "ref" in bad.json()["details"]["fields"]
    _second_designer(engine)
    ok = live.call("POST", ref, as_="designer2")
    assert ok.status_code == 200 and (ok.json()["approval"], ok.json()["approved_by"]) == ("approved", "designer2")
    assert live.call("POST", ref, as_="admin").status_code == 409
    third = live.call("POST", "/api/v1/instances", as_="window", json={"definition": key, "business_key": "H-3"})
    assert third.json()["definition"] == f"{key}:2"
    listed = {d["version"]: d["approval"] for d in live.call("GET", "/api/v1/definitions", as_="window").json()
              if d["key"] == key}
    assert listed == {1: "not_required", 2: "approved"}


def test_J_SEC_relief_definitions_approve_refuses_the_deployer_and_lists_what_waits(cli_env):
    engine = cli_env
    key = unique_key()
    engine.deploy(mini_bundle(mini_xml(key)), "designer")
    engine.start(key, {}, "D-1", "clerk")
    engine.deploy(_revised(key), "designer")
    with engine.db.session() as s:
        for name, roles in (("designer", ["designer"]), ("designer3", ["designer"]), ("clerk3", ["clerk"])):
            if s.scalar(sa.select(User).where(User.username == name)) is None:
                create_user(s, name, "long-enough-pw", roles, [], None, None, name, engine.clock.now())

    listing = CliRunner().invoke(main, ["definitions", "list", "--pending"])
    assert listing.exit_code == 0 and f"{key}:2" in listing.output and "pending" in listing.output
    own = CliRunner().invoke(main, ["definitions", "approve", f"{key}:2", "--as", "designer"])
    assert own.exit_code == 1 and "cannot approve" in own.output
    clerk = CliRunner().invoke(main, ["definitions", "approve", f"{key}:2", "--as", "clerk3"])
    assert clerk.exit_code != 0 and "designer" in clerk.output
    done = CliRunner().invoke(main, ["definitions", "approve", f"{key}:2", "--as", "designer3"])
    assert done.exit_code == 0, done.output
    assert engine.start(key, {}, "D-2", "clerk").definition.version == 2
    assert f"{key}:2" not in CliRunner().invoke(main, ["definitions", "list", "--pending"]).output
