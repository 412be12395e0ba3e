"""The applicant's own side through the engine, on SQLite and PostgreSQL: materials uploaded
with an online application and checked like the staff's (J-CH-ONLINE, T-MOBILE), the SMS
with the application number in the outbox (J-CH-ONLINE), and the sign-in by phone and
one-time code after which an applicant sees their own cases and nobody else's (J-PORTAL)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from engine.clock import AdjustableClock
from engine.errors import ValidationFailed
from engine.portal.applicants import material_kinds
from engine.store.material_models import CaseMaterial
from engine.store.models import Instance
from engine.store.portal_models import ApplicantCode
from engine.store.records import Notification
from tests.portal.test_portal_engine import JIANGYIN, PHONE, application
from workers.runner import run_pending

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
OTHER_PHONE = "13900005678"


@pytest.fixture
def portal(scenario, tmp_path):
    """The engine with every workflow deployed and a file store for materials."""
    scenario.engine.configure_materials(tmp_path / "files", max_bytes=64 * 1024)
    return scenario.engine


def _count(engine, model) -> int:
    with engine.db.reading() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def _texts(engine, template: str) -> list[Notification]:
    with engine.db.reading() as s:
        return list(s.scalars(sa.select(Notification).where(Notification.template == template)
                              .order_by(Notification.id)))


def _code(engine) -> str:
    """The code of the newest sign-in SMS in the outbox (what the applicant's phone shows)."""
    return re.search(r"验证码为 (\d{6})", _texts(engine, "sign_in_code")[-1].message).group(1)


def test_J_CH_ONLINE_materials_uploaded_with_the_application_become_the_cases(portal):
    case = portal.apply_online("dibao", JIANGYIN, application(), files={
        "id_card": ("身份证.pdf", PDF), "household_register": ("../../户口簿.png", PNG)})
    with portal.db.reading() as s:
        rows = list(s.scalars(sa.select(CaseMaterial).where(CaseMaterial.instance_id == case.id)
                              .order_by(CaseMaterial.kind)))
    assert [(r.kind, r.filename, r.media_type, r.uploaded_by) for r in rows] == [
        ("household_register", "户口簿.png", "image/png", "portal"),
        ("id_card", "身份证.pdf", "application/pdf", "portal")]
    assert portal.materials_config.files.get(rows[1].sha256) == PDF


@pytest.mark.parametrize(("files", "field"), [
    ({"id_card": ("证件.pdf", PDF + b"x" * 70_000)}, "material_id_card"),  # over the size limit
    ({"id_card": ("证件.pdf", PNG)}, "material_id_card"),  # a PNG named .pdf: disguised
    ({"household_register": ("户口簿.pdf", b"MZ\x90\x00 not a document")}, "material_household_register"),
    ({"medical_bills": ("票据.pdf", PDF)}, "material_medical_bills"),  # not a material of this item
])
def test_J_CH_ONLINE_T_MOBILE_a_bad_upload_is_refused_on_its_field_and_nothing_is_stored(portal, files, field):
    with pytest.raises(ValidationFailed) as err:
        portal.apply_online("dibao", JIANGYIN, application(), files=files)
    assert list(err.value.details["fields"]) == [field]
    assert _count(portal, Instance) == _count(portal, CaseMaterial) == 0
    assert not (portal.materials_config.files.root.exists() and any(portal.materials_config.files.root.iterdir()))


def test_J_CH_ONLINE_the_applicant_gets_the_application_number_by_sms(portal):
    case = portal.apply_online("dibao", JIANGYIN, application())
    run_pending(portal, topics=["applicant.notify"])
    [sms] = _texts(portal, "applied")
    assert sms.to == PHONE and sms.channel == "sms" and sms.instance_id == case.id
    assert case.business_key in sms.message and "郑梅" in sms.message


def test_X_AUDIT_an_online_application_re_executes_with_its_sms_sent(portal):
    """X-AUDIT: the detached SMS job's completion is in the case's history (element "-"):
    the auditor's re-execution passes over it instead of looking for a task that waits."""
    case = portal.apply_online("dibao", JIANGYIN, application())
    run_pending(portal)
    result = portal.replay_case(case.id)
    assert result.ok, result.line()
    assert "complete_job" in [step.command for step in result.steps]


def test_J_PORTAL_signed_in_applicant_sees_their_cases_only(portal):
    mine = [portal.apply_online("dibao", JIANGYIN, application()),
            portal.apply_online("temporary", JIANGYIN, application(aid_types=["temporary"]))]
    theirs = portal.apply_online("dibao", JIANGYIN, application(applicant_phone=OTHER_PHONE))
    portal.send_sign_in_code(PHONE)
    code = _code(portal)
    assert portal.check_sign_in_code(OTHER_PHONE, code) is None  # someone else's phone with my code
    tokens = portal.check_sign_in_code(PHONE, code)
    assert tokens is not None
    assert portal.check_sign_in_code(PHONE, code) is None  # used up
    assert {c.business_key for c in portal.applicant_cases(tokens)} == {c.business_key for c in mine}
    assert portal.applicant_case(tokens, mine[0].business_key) == mine[0].id
    assert portal.applicant_case(tokens, theirs.business_key) is None
    with portal.db.reading() as s:  # the code is kept only as a keyed hash
        stored = s.scalar(sa.select(ApplicantCode.code_hash))
    assert code not in stored and PHONE not in stored


def test_J_PORTAL_sign_in_codes_expire_wear_out_and_go_only_to_phones_with_cases(portal, monkeypatch):
    wall = AdjustableClock()  # codes last real minutes: the wall clock, moved here by the test
    monkeypatch.setattr(portal, "wall_clock", wall)
    portal.send_sign_in_code(OTHER_PHONE)  # no case: no SMS (the page answers the same)
    assert _texts(portal, "sign_in_code") == []
    with pytest.raises(ValidationFailed) as err:
        portal.send_sign_in_code("12345")
    assert list(err.value.details["fields"]) == ["phone"]
    portal.apply_online("dibao", JIANGYIN, application())
    portal.send_sign_in_code(PHONE)
    portal.send_sign_in_code(PHONE)  # within the minute: not sent again
    assert len(_texts(portal, "sign_in_code")) == 1
    code = _code(portal)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _try in range(5):
        assert portal.check_sign_in_code(PHONE, wrong) is None
    assert portal.check_sign_in_code(PHONE, code) is None  # five wrong tries used it up
    wall.advance(dt.timedelta(minutes=2))
    portal.send_sign_in_code(PHONE)
    assert len(_texts(portal, "sign_in_code")) == 2  # a new code, a minute later
    code = _code(portal)
    wall.advance(dt.timedelta(minutes=11))
    assert portal.check_sign_in_code(PHONE, code) is None  # expired


def test_J_CH_ONLINE_every_uploadable_material_of_the_item_list_is_a_checklist_kind(portal):
    """A designer's `kind` in workflows/items.json names a material of materials/checklist.json
    (else its upload field would refuse every file), and each item offers at least one upload."""
    known = portal.material_checklist_file().kinds()
    for item in portal.item_list().items:
        assert material_kinds(item), item.key
        assert set(material_kinds(item)) <= known, item.key
