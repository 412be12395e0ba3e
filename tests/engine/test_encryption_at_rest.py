"""ID numbers, phones and bank accounts are sealed at rest (J-SEC; GB/T 37973 5.7, 6.1;
PIPL art. 51(3)): what the raw database holds, look-ups by keyed hash, tampering, and
key rotation while cases run, after which every audit chain still verifies."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from engine import records
from engine.audit import verify_chain
from engine.auth import Principal
from engine.crypto import keys, rotate, seal
from engine.crypto.keys import Keyring
from engine.errors import ValidationFailed
from engine.service import Engine
from engine.store.models import HumanTask, Instance
from tests.engine.helpers import mini_bundle
from tests.support.at_rest import found_in_clear, personal_values, raw_rows
from workers.registry import topics
from workers.runner import run_pending

CENTRE = Principal("centre-1", ("dispatcher",), ("county-centre",))
APPLICANT_ID = "32028119800101001X"
PHONE = "13912345678"
BANK_ACCOUNT = "6217000010001234567"
MEMBER_ID = "320281200501010025"
NEW_KEY = keys.generate_entry("k2")


@pytest.fixture
def mini(engine: Engine) -> Engine:
    engine.deploy(mini_bundle(), "designer")
    return engine


def _run_case(engine: Engine, key: str, approve: bool = True) -> str:
    """A mini case with every kind of personal value: ID number, phone and bank account in
    the start data, an ID number in a clerk's free-text note, a registry read (T-ID), an SMS."""
    data = {"applicant_id_number": APPLICANT_ID, "applicant_phone": PHONE, "payee_bank_account": BANK_ACCOUNT,
            "household_note": f"郑小雨 子女 {MEMBER_ID}"}
    inst = engine.start("mini_case", data, key, "clerk")
    engine.queue_job(inst.id, "household.fetch", {"id_number": APPLICANT_ID}, f"{key}:household", "test")
    run_pending(engine, topics=["household.fetch"])
    if approve:
        task = _open_task(engine, inst.id)
        engine.claim(task, CENTRE)
        engine.complete(task, {"approved": "yes"}, CENTRE)
        run_pending(engine)
    return inst.id


def _open_task(engine: Engine, instance_id: str) -> str:
    with engine.db.session() as s:
        return s.scalar(sa.select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.state == "open"))


def _seed_registry(engine: Engine) -> None:
    with engine.db.session() as s:
        records.put_household_member(s, {"id_number": APPLICANT_ID, "household_id": "HH-1", "name": "郑梅",
                                         "relation": "户主"})
        records.put_household_member(s, {"id_number": MEMBER_ID, "household_id": "HH-1", "name": "郑小雨",
                                         "relation": "子女"})


def _second_engine(engine: Engine, keyring: Keyring) -> Engine:
    """Another process on the same database, configured with `keyring`."""
    return Engine(engine.db.url, clock=engine.clock, forms_root=engine.forms_root, known_topics=topics(),
                  keyring=keyring)


def test_J_SEC_no_id_number_phone_or_bank_account_in_clear_in_any_table(mini):
    _seed_registry(mini)
    instance_id = _run_case(mini, "SEC-1")
    assert mini.instance(instance_id).status == "completed"
    held = personal_values(mini)
    # The engine reads them all back (so the scan below looks for real values)...
    assert {APPLICANT_ID, PHONE, BANK_ACCOUNT, MEMBER_ID} <= held
    assert mini.case_data(mini.instance(instance_id))["payee_bank_account"] == BANK_ACCOUNT
    # ...and the raw database, read with SQL and no key, holds none of them.
    assert found_in_clear(mini, held) == []
    text = "\n".join(row for _, row in raw_rows(mini.db.url))
    assert "rx1$test1$" in text  # each sealed value names its key
    with mini.db.engine.connect() as conn:
        state = conn.execute(sa.text("SELECT state FROM instances WHERE id = :i"), {"i": instance_id}).scalar()
    assert seal.document_key_id(bytes(state)) == "test1"


def test_J_SEC_free_text_is_sealed_only_when_it_holds_a_personal_number():
    assert seal.holds_personal_number("王德胜 户主 370481195201172017\n王秀英 配偶")
    assert seal.holds_personal_number("电话13912345678，下午联系")
    assert seal.holds_personal_number("工资卡 6217000010001234567")
    assert seal.holds_personal_number(f"户口簿 {MEMBER_ID}")  # no valid check digit: sealed all the same
    assert not seal.holds_personal_number("37048119520117201712345")  # longer than any such number
    assert not seal.holds_personal_number("b745df3b-51ad-41a7-9162-a19104309688")  # an id, not a phone
    assert not seal.holds_personal_number("JY-0001 2026-11-02T09:00:00+08:00")
    # Refusing input asks more: a real check digit; long numbers (ticket numbers) pass.
    assert not seal.holds_personal_number(f"12345-{MEMBER_ID}", strict=True)
    assert seal.holds_personal_number(f"12345-{APPLICANT_ID}", strict=False)


def test_J_SEC_business_key_holding_a_phone_is_refused(mini):
    with pytest.raises(ValidationFailed) as err:
        mini.start("mini_case", {}, f"APP-{PHONE}", "clerk")
    assert "business_key" in err.value.details["fields"]


def test_J_SEC_T_ID_registry_found_by_keyed_hash_of_the_normalised_number(mini):
    _seed_registry(mini)
    with mini.db.session() as s:
        found = records.household(s, APPLICANT_ID.lower())  # a lowercase check letter finds it
        stored = list(s.execute(sa.text("SELECT id_hash, id_number FROM registry_members")))
    assert found is not None and [m["id_number"] for m in found[1]] == [APPLICANT_ID, MEMBER_ID]
    for id_hash, id_number in stored:
        assert id_hash.startswith("test1:") and len(id_hash) == len("test1:") + 64
        assert seal.is_token(id_number) and APPLICANT_ID not in id_hash + id_number


def test_J_SEC_changed_sealed_value_breaks_the_audit_chain(mini):
    instance_id = _run_case(mini, "SEC-2", approve=False)
    assert verify_chain_of(mini, instance_id)["valid"]
    with mini.db.engine.begin() as conn:
        seq, text = conn.execute(sa.text("SELECT seq, CAST(input AS TEXT) FROM audit_events "
                                         "WHERE instance_id = :i AND seq = 1"), {"i": instance_id}).one()
        token = text[text.index("rx1$"):].split('"', 1)[0]
        tag, key_id, commitment, box = token.split("$")
        forged = "$".join([tag, key_id, commitment, box[:-4] + ("AAAA" if box[-4:] != "AAAA" else "BBBB")])
        update = sa.text("UPDATE audit_events SET input = :t WHERE instance_id = :i AND seq = 1").bindparams(
            sa.bindparam("t", type_=sa.JSON))
        conn.execute(update, {"t": json.loads(text.replace(token, forged)), "i": instance_id})
    found = verify_chain_of(mini, instance_id)
    assert (found["valid"], found["broken_at"], found["reason"]) == (False, seq, "sealed value broken")


def verify_chain_of(engine: Engine, instance_id: str) -> dict:
    with engine.db.reading() as s:
        return verify_chain(s, instance_id)


def test_J_SEC_key_rotation_while_cases_run_moves_every_value_and_every_chain_still_verifies(mini):
    """The operator's rotation: the new key first, the old one after it, every process
    restarted (here: another engine), `relief keys rotate` while work goes on, then the old
    key removed. Nothing is lost, nothing stays under the old key, every chain verifies."""
    _seed_registry(mini)
    before = [_run_case(mini, f"ROT-{i}", approve=i % 2 == 0) for i in range(4)]
    both = _second_engine(mini, Keyring.parse(f"{NEW_KEY},{keys.configured_text()[0]}"))
    try:
        errors: list[BaseException] = []
        started: list[str] = []

        def work() -> None:  # the system keeps running: new cases, decisions, workers
            try:
                for i in range(3):
                    started.append(_run_case(both, f"DURING-{i}", approve=i != 1))
            except BaseException as err:  # noqa: BLE001 - reported below
                errors.append(err)

        worker = threading.Thread(target=work)
        worker.start()
        first = rotate.rotate(both.db, batch=3)
        worker.join()
        assert errors == []
        assert first["instances"][0] >= len(before)
        rotate.rotate(both.db, batch=50)  # what the work wrote meanwhile is under k2 already
        figures = rotate.status(both.db)
        assert {key_id for counts in figures.values() for key_id in counts} == {"k2"}
        for instance_id in before + started:
            assert verify_chain_of(both, instance_id)["valid"], instance_id
    finally:
        both.dispose()

    only_new = _second_engine(mini, Keyring.parse(NEW_KEY))  # the old key is gone
    try:
        assert found_in_clear(only_new, personal_values(only_new)) == []
        with only_new.db.session() as s:
            assert records.household(s, APPLICANT_ID) is not None
        for instance_id in before + started:
            assert verify_chain_of(only_new, instance_id)["valid"]
            assert only_new.case_data(only_new.instance(instance_id))["applicant_id_number"] == APPLICANT_ID
        waiting = [i for i in before + started if only_new.instance(i).status == "running"]
        assert waiting
        for instance_id in waiting:  # restored from the re-sealed state (a cold cache)
            task = _open_task(only_new, instance_id)
            only_new.claim(task, CENTRE)
            only_new.complete(task, {"approved": "no"}, CENTRE)
            assert only_new.instance(instance_id).status == "completed"
    finally:
        only_new.dispose()


def test_J_SEC_rows_written_in_clear_before_0009_are_sealed_and_their_chains_still_verify(engine, tmp_path):
    """A database of the previous schema with cases in clear: upgrading seals the registry at
    once (look-ups must find it), `relief keys rotate` seals the rest; an audit event hashed
    in clear keeps verifying after its values were sealed."""
    from engine.audit.log import event_hash
    from engine.store import migrate
    from engine.store.schemas import scratch_schema

    if engine.db.is_sqlite:
        _legacy_upgrade(f"sqlite:///{tmp_path}/legacy.sqlite", migrate, event_hash)
    else:
        import os

        with scratch_schema(os.environ["RELIEF_TEST_POSTGRES_URL"], "relief_legacy") as url:
            _legacy_upgrade(url, migrate, event_hash)


def _legacy_upgrade(url: str, migrate, event_hash) -> None:  # noqa: ANN001
    import datetime as dt
    import json

    from engine.audit import GENESIS

    migrate.upgrade(url, "0006")
    now = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
    state = {"data": {"applicant_id_number": APPLICANT_ID}, "tasks": {}}
    event_input = {"data": {"applicant_id_number": APPLICANT_ID, "applicant_phone": PHONE}}
    digest = event_hash(GENESIS, "legacy-1", 1, "start_instance", "clerk", now, event_input, [])
    raw = sa.create_engine(url)
    with raw.begin() as conn:
        conn.execute(sa.text("INSERT INTO deployments (id, content_hash, created_at, created_by) "
                             "VALUES (1, 'h', :now, 'd')"), {"now": now})
        conn.execute(sa.text("INSERT INTO definitions (id, key, version, name, deployment_id, content_hash, "
                             "created_at) VALUES (1, 'old', 1, 'old', 1, 'h', :now)"), {"now": now})
        conn.execute(sa.text("INSERT INTO instances (id, definition_id, status, version, state, started_by, "
                             "started_at, updated_at) VALUES ('legacy-1', 1, 'running', 1, :state, 'clerk', :now, "
                             ":now)"), {"state": json.dumps(state), "now": now})
        conn.execute(sa.text("INSERT INTO audit_events (instance_id, seq, command, actor, at, input, changes, "
                             "prev_hash, hash) VALUES ('legacy-1', 1, 'start_instance', 'clerk', :now, :input, "
                             "'[]', :genesis, :hash)"),
                     {"now": now, "input": json.dumps(event_input), "genesis": GENESIS, "hash": digest})
        conn.execute(sa.text("INSERT INTO registry_members (id_number, household_id, name, relation, income_monthly, "
                             "assets) VALUES (:id, 'HH-1', '郑梅', '户主', 0, 0)"), {"id": APPLICANT_ID})
        conn.execute(sa.text("INSERT INTO notifications (instance_id, idempotency_key, channel, \"to\", template, "
                             "message, status, created_at) VALUES ('legacy-1', 'n1', 'sms', :to, 't', 'm', 'sent', "
                             ":now)"), {"to": PHONE, "now": now})
    raw.dispose()

    upgraded = Engine(url)
    try:
        upgraded.upgrade_schema()
        with upgraded.db.session() as s:  # found at once: upgrading sealed and hashed the registry
            assert records.household(s, APPLICANT_ID)[1][0]["id_number"] == APPLICANT_ID
        assert verify_chain_of(upgraded, "legacy-1")["valid"]  # still in clear, hashed in clear
        assert upgraded.instance("legacy-1").state == state  # a state in clear is read as before
        assert rotate.status(upgraded.db)["instances.state"] == {rotate.CLEAR: 1}

        rotate.rotate(upgraded.db)
        assert {k for counts in rotate.status(upgraded.db).values() for k in counts} == {"test1"}
        assert found_in_clear(upgraded, {APPLICANT_ID, PHONE}) == []
        assert verify_chain_of(upgraded, "legacy-1")["valid"]
        assert upgraded.instance("legacy-1").state == state
        with upgraded.db.reading() as s:
            assert s.get(Instance, "legacy-1").state == state
    finally:
        upgraded.dispose()
