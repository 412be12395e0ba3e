"""The scope rule's pieces (J-SEC, issue 9 defects 4 and 5): GB/T 2260 containment, the
same answer from SQL as from Python on each database, and personal data masked at any depth."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from engine.auth import Principal, personal, scope
from engine.errors import ValidationFailed
from engine.store.models import HumanTask, Instance
from tests.engine.helpers import mini_bundle

CODES = ["320000", "320200", "320281", "320282", "320281001", "320281002", "320281001001", "320281001002",
         "320281002001", "320289", "320290", "320299", "329999", "330000", "110101", "320281001000",
         "320281009999", "999999"]


@pytest.mark.parametrize("user, case, contains", [
    ("320281", "320281", True), ("320281", "320281001", True), ("320281", "320281001001", True),
    ("320281", "320282", False), ("320281", "3202810", True),
    ("320281001", "320281", False), ("320281001", "320281001001", True), ("320281001", "320281002001", False),
    ("320200", "320281001", True), ("320200", "330281", False), ("320000", "320582", True),
    ("320281001000", "320281001001", True),  # a township written in 12 digits
    (None, None, True), (None, "320281", False), ("320281", None, False),
])
def test_J_SEC_a_region_contains_the_regions_below_it(user, case, contains):
    assert scope.region_contains(user, case) is contains


@pytest.mark.parametrize("bad", ["32028", "3202811", "032028", "32028a", "", "320281 ", 320281])
def test_J_SEC_a_region_is_a_gb_t_2260_code_or_refused_naming_the_field(bad):
    with pytest.raises(ValidationFailed) as err:
        scope.valid_region(bad)
    assert "region" in err.value.details["fields"]


def test_J_SEC_the_database_finds_exactly_the_regions_a_region_contains(engine):
    """The SQL range (served by an index) and the Python prefix rule agree on every pair,
    in the database's own collation."""
    engine.deploy(mini_bundle(), "designer")
    made = {code: engine.start("mini_case", {}, f"R-{code}", "clerk", region=code).id for code in CODES}
    with engine.db.reading() as s:
        for user in CODES:
            found = set(s.scalars(sa.select(Instance.region).where(scope.region_clause(Instance.region, user))))
            tasks = set(s.scalars(sa.select(HumanTask.region).where(scope.region_clause(HumanTask.region, user))))
            expected = {c for c in made if scope.region_contains(user, c)}
            assert found == tasks == expected, user


def test_J_SEC_every_pair_of_roles_and_regions_gets_the_same_answer_from_row_and_sql(engine):
    engine.deploy(mini_bundle(), "designer")
    ids = [engine.start("mini_case", {}, f"P-{code}", "clerk", region=code).id for code in CODES[:8]]
    people = [Principal(f"u{i}", roles, ("county-centre",), "civil-affairs", region)
              for i, (roles, region) in enumerate(itertools.product(
                  [("clerk",), ("auditor",), ("caseworker",), ("applicant",), ("designer",), ("admin",)],
                  [None, "320281", "320281001", "320282"]))]
    with engine.db.reading() as s:
        rows = [s.get(Instance, i) for i in ids]
        for who in people:
            listed = set(s.scalars(sa.select(Instance.id).where(scope.instance_clause(who), Instance.id.in_(ids))))
            assert listed == {r.id for r in rows if scope.sees_instance(s, who, r)}, who
            tasks = s.scalars(sa.select(HumanTask).where(HumanTask.instance_id.in_(ids))).all()
            visible = set(s.scalars(sa.select(HumanTask.id).where(scope.task_clause(who),
                                                                  HumanTask.instance_id.in_(ids))))
            assert visible == {t.id for t in tasks if scope.sees_task(who, t)}, who


def test_J_SEC_personal_data_is_masked_at_any_depth_and_named_for_the_access_log():
    data = {"applicant_id_number": "11010519491231002X", "applicant_phone": "13812345678", "name": "张三",
            "household": {"members": [{"id_number": "320281200501010025", "relation": "子女"}]},
            "contact_phones": ["13912345678"], "note": "13812345678 in free text is not a field"}
    shown = personal.masked(data)
    assert shown["applicant_id_number"] == "110105********002X" and shown["applicant_phone"] == "138****5678"
    assert shown["household"]["members"][0] == {"id_number": "320281********0025", "relation": "子女"}
    assert shown["contact_phones"] == ["139****5678"] and shown["name"] == "张三"
    assert data["applicant_phone"] == "13812345678"  # a copy: the case data is untouched
    assert personal.personal_keys(data) == ["applicant_id_number", "applicant_phone", "contact_phones", "id_number"]
    assert personal.personal_keys({"applicant_phone": "", "x": [{"y": 1}]}) == []
