"""T-ARCHIVE (滕政发〔2021〕3号 三(二)3, 一户一档): the household file of a case holds every case
of the applicant's household (found by the keyed hash of the ID number, never the number)
that the reader may see, with steps and materials, the ID number masked; another county's
staff get nothing of it; the file prints as a PDF; the page reads at 1280 and 375 px."""

from __future__ import annotations

import pytest

from api.demo import JIANGYIN, YIXING
from engine.archive import backfill_household_tokens, household_file
from engine.errors import Forbidden, NotFound
from engine.forms.validators import cn_id_check_digit
from tests.scenarios.test_jiangyin import APPLICANT_ID, PROCESS, application
from tests.support.material_files import pdf_text
from tests.support.scenario import staff
from tests.web.conftest import axe, overflowing, shoot
from tests.web.test_materials import _session

OTHER_ID = "32028119800101001" + cn_id_check_digit("32028119800101001")


MEMBER_ID = "32028120100101002" + cn_id_check_digit("32028120100101002")


def _household(scenario, prefix: str):
    """Two cases of the household in Jiangyin, one in Yixing, one of another household; the
    household in the local data platform with a child, receiving the minimum allowance."""
    scenario.seed_household(APPLICANT_ID, [{"id_number": MEMBER_ID, "name": "李小明", "relation": "子女"}],
                            name="张秀英", granted_aid=[{"aid_type": "dibao", "since": "2025-03-01"}])
    mine = scenario.start(PROCESS, application(), f"{prefix}-A", region=JIANGYIN)
    again = scenario.start(PROCESS, application(aid_types=["medical"]), f"{prefix}-B", region=JIANGYIN)
    away = scenario.start(PROCESS, application(), f"{prefix}-C", region=YIXING)
    other = scenario.start(PROCESS, application(applicant_id_number=OTHER_ID, applicant_name="李四"),
                           f"{prefix}-D", region=JIANGYIN)
    return mine, again, away, other


def test_T_ARCHIVE_the_household_file_holds_the_households_cases_in_scope(scenario):
    mine, again, away, other = _household(scenario, "HH1")
    engine = scenario.engine
    found = household_file(engine, staff("window"), again.id)
    assert [c.instance.id for c in found.cases] == [mine.id, again.id]  # oldest first; not C (Yixing), not D
    assert found.applicant == "张*英"
    assert found.id_number and "*" in found.id_number and found.id_number != APPLICANT_ID
    assert found.cases[1].aid_types == ["medical"]
    # 两库、两清单: the household as the data platform knows it, and the aid it receives, masked.
    assert [(m.name, m.relation) for m in found.members] == [("张*英", "户主"), ("李*明", "子女")]
    assert [m.id_number for m in found.members] == [APPLICANT_ID[:6] + "*" * 8 + APPLICANT_ID[-4:],
                                                     MEMBER_ID[:6] + "*" * 8 + MEMBER_ID[-4:]]
    assert [(g.aid_type, g.since.isoformat(), g.until) for g in found.grants] == [("dibao", "2025-03-01", None)]
    assert APPLICANT_ID not in str(found.as_dict()) and "张秀英" not in str(found.as_dict())
    assert all(c.open_steps or c.steps for c in found.cases)  # what is being done, or was
    # Yixing's window sees its own case of the household, not Jiangyin's.
    assert [c.instance.id for c in household_file(engine, staff("window", YIXING), away.id).cases] == [away.id]
    with pytest.raises((Forbidden, NotFound)):
        household_file(engine, staff("window", YIXING), mine.id)
    # The number is kept as a keyed hash, the same for the household's cases only.
    assert mine.id != other.id
    with engine.db.reading() as s:
        from engine.store.models import Instance
        tokens = {i.id: i.household_token for i in s.query(Instance).filter(
            Instance.id.in_([mine.id, again.id, away.id, other.id]))}
    assert tokens[mine.id] == tokens[again.id] == tokens[away.id] != tokens[other.id]
    assert APPLICANT_ID not in tokens[mine.id]


def test_T_ARCHIVE_cases_begun_before_the_household_key_get_it_at_upgrade(scenario):
    import sqlalchemy as sa

    from engine.store.models import Instance

    mine, again, away, other = _household(scenario, "HH4")
    engine = scenario.engine
    ids = [mine.id, again.id, away.id, other.id]

    def tokens() -> dict[str, str | None]:
        with engine.db.reading() as s:
            return dict(s.execute(sa.select(Instance.id, Instance.household_token).where(Instance.id.in_(ids))).all())
    before = tokens()
    with engine.db.session() as s:  # as migration 0025 leaves them
        s.execute(sa.update(Instance.__table__).values(household_token=None))
    assert [c.instance.id for c in household_file(engine, staff("window"), mine.id).cases] == [mine.id]
    assert backfill_household_tokens(engine, batch=3) >= 4
    assert tokens() == before
    assert backfill_household_tokens(engine) == 0  # idempotent: nothing left to look at
    assert [c.instance.id for c in household_file(engine, staff("window"), mine.id).cases] == [mine.id, again.id]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_T_ARCHIVE_household_page_and_pdf_by_role_and_scope(site, scenario):
    mine, again, away, other = _household(scenario, "HH2")
    s, _ = _session(site, "window")
    html = s.get(f"{site.base}/cases/{mine.id}/household", timeout=30).text
    assert "HH2-A" in html and "HH2-B" in html and "HH2-C" not in html and "HH2-D" not in html
    assert APPLICANT_ID not in html and "张秀英" not in html and "张*英" in html
    assert MEMBER_ID not in html and "李小明" not in html and "李*明" in html
    assert "困难家庭救助服务清单" in html and "2025-03-01" in html
    pdf = s.get(f"{site.base}/cases/{mine.id}/household.pdf", timeout=60)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert "no-store" in pdf.headers["Cache-Control"]
    text = pdf_text(pdf.content)
    assert "HH2-A" in text and "HH2-B" in text and "HH2-D" not in text and APPLICANT_ID not in text
    assert "李*明" in text and MEMBER_ID not in text
    # Another county's window: neither the page nor the export.
    stranger, _ = _session(site, "window-yixing")
    for path in (f"/cases/{mine.id}/household", f"/cases/{mine.id}/household.pdf"):
        assert stranger.get(f"{site.base}{path}", timeout=30).status_code in (403, 404), path
    # An applicant (not staff) is refused the staff page.
    applicant, _ = _session(site, "applicant")
    assert applicant.get(f"{site.base}/cases/{mine.id}/household", timeout=30).status_code in (403, 404)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_T_ARCHIVE_household_page_in_the_browser_at_desktop_and_phone_width(browser, site, scenario):
    mine, *_ = _household(scenario, "HH3")
    tab = browser.page()
    tab.sign_in("window")
    tab.go(f"/cases/{mine.id}")
    tab.page.click("text=一户一档：该户的全部案件")
    tab.page.wait_for_selector("h1:has-text('一户一档')")
    assert tab.page.locator(".household__case").count() == 2
    assert tab.page.locator("a[href$='/household.pdf']").is_visible()
    shoot(tab, "household-file")
    tab.page.set_viewport_size({"width": 375, "height": 800})
    assert overflowing(tab) == []
    assert axe(tab) == []
    tab.page.set_viewport_size({"width": 1280, "height": 900})
    assert axe(tab) == []
