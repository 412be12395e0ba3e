"""Issue 9 defect 10: a business key names one case per process, for ever. A retried start
(same key, same data) returns that case; another start with the key is refused (409 naming
`business_key`); the database enforces it, so two starts racing make one case; messages
for the key reach its one case. Migration 0007 renames the duplicates an older database
holds, audited."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import sqlalchemy as sa

from engine.audit import verify_chain
from engine.auth import Principal
from engine.crypto.columns import DIALECT_ATTR
from engine.errors import Conflict
from engine.store import migrate
from engine.store.base import new_id
from engine.store.models import AuditEvent, Definition, Instance
from tests.engine.helpers import mini_bundle, mini_xml
from tests.support import races
from tests.support.databases import PG_ENV

ID_NUMBER = "11010519491231002X"


@pytest.fixture
def deployed(engine):
    races.deploy(engine)
    return engine


def _count(engine, model, *where) -> int:
    with engine.db.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_defect10_a_retried_start_returns_the_case_and_another_is_refused(deployed):
    first, created = deployed.start_once("mini_case", {"applicant_id_number": ID_NUMBER}, "BK-1", "clerk")
    assert created
    again, created = deployed.start_once("mini_case", {"applicant_id_number": ID_NUMBER}, "BK-1", "clerk-2")
    assert (again.id, created) == (first.id, False)
    assert again.definition.key == "mini_case"  # usable outside the session, as the API shows it
    assert _count(deployed, AuditEvent, AuditEvent.instance_id == first.id) == 1  # the retry changed nothing
    with pytest.raises(Conflict) as err:
        deployed.start_once("mini_case", {}, "BK-1", "clerk")
    assert err.value.details["business_key"] == "BK-1" and err.value.details["instance"] == first.id
    assert "other data" in err.value.message
    assert _count(deployed, Instance, Instance.business_key == "BK-1") == 1
    # Unique per process: the same key on another process is another case.
    other, created = deployed.start_once("race_case", {}, "BK-1", "clerk")
    assert created and other.id != first.id


def test_defect10_a_start_naming_another_version_is_refused_and_the_key_spans_versions(deployed):
    first = deployed.start("mini_case:1", {}, "BK-V", "clerk")
    deployed.deploy(mini_bundle(mini_xml().replace('name="审核"', 'name="审核 v2"')), "designer")
    deployed.approve_definition("mini_case", 2, "designer-2")  # a second person's approval (docs/security.md)
    with deployed.db.session() as s:
        assert s.scalar(sa.select(sa.func.max(Definition.version)).where(Definition.key == "mini_case")) == 2
    with pytest.raises(Conflict) as err:
        deployed.start_once("mini_case:2", {}, "BK-V", "clerk")
    assert err.value.details["business_key"] == "BK-V" and "another version" in err.value.message
    # The plain key (the latest version now) is a retry of the case on version 1.
    again, created = deployed.start_once("mini_case", {}, "BK-V", "clerk")
    assert (again.id, created) == (first.id, False)
    assert _count(deployed, Instance, Instance.business_key == "BK-V") == 1


def test_defect10_the_database_refuses_a_second_case_with_a_key(deployed):
    """The unique index, not only the command's check: a race cannot beat it."""
    first = deployed.start("mini_case", {}, "BK-DB", "clerk")
    with deployed.db.session() as s:
        definition = s.get(Instance, first.id).definition_id
    with pytest.raises(sa.exc.IntegrityError), deployed.db.session() as s:
        now = dt.datetime.now(dt.UTC)
        s.add(Instance(id=new_id(), definition_id=definition, business_key="BK-DB", process_key="mini_case",
                       status="running", state={}, started_by="sql", started_at=now, updated_at=now))


@pytest.mark.parametrize("same_data", [True, False])
def test_defect10_two_starts_with_one_key_at_once_make_one_case(deployed, same_data):
    with races.second_engine(deployed) as other:
        for i in range(3 if deployed.db.is_sqlite else 10):
            key = f"BK-RACE-{same_data}-{i}"
            outcomes = races.race(lambda k=key: deployed.start_once("mini_case", {}, k, "clerk-1"),
                                  lambda k=key: other.start_once("mini_case", {} if same_data else
                                                                 {"applicant_id_number": ID_NUMBER}, k, "clerk-2"))
            assert _count(deployed, Instance, Instance.business_key == key) == 1
            if same_data:  # both get the one case; exactly one of them started it
                assert all(o.won for o in outcomes), [str(o) for o in outcomes]
                assert len({o.value[0].id for o in outcomes}) == 1
                assert sorted(o.value[1] for o in outcomes) == [False, True]
            else:
                assert sorted(o.status for o in outcomes) == [200, 409], [str(o) for o in outcomes]


def test_defect10_messages_for_a_retried_key_reach_its_one_case(deployed):
    """Before: a start sent twice made two cases, and every message for the key was then
    refused for ever (two cases waited for it)."""
    inst = deployed.start("race_case", {}, "BK-MSG", "clerk")
    assert deployed.start("race_case", {}, "BK-MSG", "clerk").id == inst.id
    deployed.correlate("supplementary_documents", "BK-MSG", {"documents": ["户口簿"]},
                       Principal("window", roles=("clerk",), groups=("window",)))
    assert deployed.instance(inst.id).status == "completed"


def _url_at_0006(engine, tmp_path):
    """A fresh database (a scratch schema on PostgreSQL) migrated up to 0006."""
    if engine.db.is_sqlite:
        return f"sqlite:///{tmp_path}/old.sqlite", None
    from engine.store.schemas import create_schema

    schema, url = create_schema(os.environ[PG_ENV], "relief_mig")
    return url, schema


def test_defect10_migration_0007_renames_later_duplicates_and_audits_it(engine, tmp_path):
    from engine.audit import append_event

    url, schema = _url_at_0006(engine, tmp_path)
    try:
        migrate.upgrade(url, "0006")
        db = sa.create_engine(url if not url.startswith("postgresql://") else
                              url.replace("postgresql://", "postgresql+psycopg://", 1))
        # The audit columns seal what they hold (engine/crypto): this raw engine needs the keys too.
        setattr(db.dialect, DIALECT_ATTR, engine.db.keyring)
        now = dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC)
        ids = [f"00000000-0000-0000-0000-00000000000{i}" for i in range(4)]
        with sa.orm.Session(db) as s, s.begin():
            s.execute(sa.text("INSERT INTO deployments (id, content_hash, created_at, created_by) "
                              "VALUES (1, 'h', :now, 't')"), {"now": now})
            for n, key in ((1, "mini_case"), (2, "other_case")):
                s.execute(sa.text("INSERT INTO definitions (id, key, version, name, deployment_id, content_hash, "
                                  "created_at) VALUES (:n, :key, 1, '', 1, :key, :now)"),
                          {"n": n, "key": key, "now": now})
            # Three cases of mini_case with key DUP (the oldest keeps it), one of other_case.
            for i, (definition, key) in enumerate([(1, "DUP"), (1, "DUP"), (2, "DUP"), (1, "DUP")]):
                s.execute(sa.text("INSERT INTO instances (id, definition_id, business_key, status, version, state, "
                                  "started_by, started_at, updated_at) VALUES (:id, :d, :k, 'running', 1, '{}', "
                                  "'t', :at, :at)"),
                          {"id": ids[i], "d": definition, "k": key, "at": now + dt.timedelta(minutes=i)})
                append_event(s, ids[i], "start_instance", "t", now, {"business_key": key}, [])
            s.execute(sa.text("INSERT INTO instances (id, definition_id, business_key, status, version, state, "
                              "started_by, started_at, updated_at) VALUES ('taken', 1, 'DUP~2', 'running', 1, '{}', "
                              "'t', :at, :at)"), {"at": now + dt.timedelta(hours=1)})
        migrate.upgrade(url)
        with sa.orm.Session(db) as s:
            keys = dict(s.execute(sa.text("SELECT id, business_key FROM instances")).all())
            assert [keys[i] for i in ids] == ["DUP", "DUP~3", "DUP", "DUP~4"]  # DUP~2 was taken
            renamed = s.scalars(sa.select(AuditEvent).where(AuditEvent.command == "rename_business_key")
                                .order_by(AuditEvent.instance_id)).all()
            assert [(e.instance_id, e.input["from"], e.input["to"], e.input["kept_by"], e.actor) for e in renamed] == [
                (ids[1], "DUP", "DUP~3", ids[0], "migration 0007"), (ids[3], "DUP", "DUP~4", ids[0], "migration 0007")]
            for i in ids:
                assert verify_chain(s, i)["valid"] is True
            assert s.scalar(sa.text(f"SELECT version FROM instances WHERE id = '{ids[1]}'")) == 2
        with pytest.raises(sa.exc.IntegrityError), db.begin() as conn:
            conn.execute(sa.text("UPDATE instances SET business_key = 'DUP' WHERE id = :id"), {"id": ids[1]})
        db.dispose()
    finally:
        if schema:
            from engine.store.schemas import drop_schema

            drop_schema(os.environ[PG_ENV], schema)


def test_defect10_one_ticket_sent_twice_at_once_is_one_hotline_case(deployed):
    """The 12345 intake stays idempotent per ticket under the key rule: two deliveries of
    one ticket at the same moment make one case; exactly one of them made it."""
    with races.second_engine(deployed) as other:
        for i in range(3 if deployed.db.is_sqlite else 10):
            ticket = f"T-{i}"
            outcomes = races.race(
                lambda t=ticket: deployed.hotline_intake(t, "mini_case", {"channel": "hotline"}, None, "12345"),
                lambda t=ticket: other.hotline_intake(t, "mini_case", {"channel": "hotline"}, None, "12345"))
            assert all(o.won for o in outcomes), [str(o) for o in outcomes]
            assert len({o.value[0].id for o in outcomes}) == 1
            assert sorted(o.value[1] for o in outcomes) == [False, True]
            assert _count(deployed, Instance, Instance.business_key == f"12345-{ticket}") == 1
