"""X-STAFF, J-TRACK, J-ONCE, W-URGENT, W-REFUSE, J-SEC: the materials page and the printable
notices, as a clerk meets them in the browser and as the server answers them: a real PDF
and PNG uploaded, a disguised or oversized file or another region's case refused with
nothing stored, downloads only as attachments with the uploaded SHA-256, each upload and
download in the case's records, and notices as PDFs with the case's key in their text.
The upload tests run against both file stores: the directory and an S3 bucket (issue 15)."""

from __future__ import annotations

import hashlib

import pytest
import requests

from tests.api.conftest import serving
from tests.scenarios.test_jiangyin import PROCESS, application
from tests.support.material_files import pdf_bytes, pdf_text, png_bytes
from tests.support.s3 import StoreUnderTest, materials_store, s3_endpoint  # noqa: F401 - fixtures
from tests.web.conftest import axe, overflowing, shoot


def _case(scenario, key: str = "JY-MAT-WEB", **changes):
    return scenario.start(PROCESS, application(aid_types=["dibao", "medical"], **changes), key)


def _session(site, username: str) -> tuple[requests.Session, str]:
    """A signed-in browser-like session (cookie) and its CSRF token."""
    import re

    from api.demo import DEMO_PASSWORD

    s = requests.Session()
    page = s.get(f"{site.base}/sign-in", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(f"{site.base}/sign-in", data={"username": username, "password": DEMO_PASSWORD,
                                             "csrf_token": token}, timeout=10)
    assert r.status_code == 200, r.text[:500]
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', r.text).group(1)
    return s, token


def _post(s, site, case_id, token, kind, name, content, media="application/pdf"):
    return s.post(f"{site.base}/cases/{case_id}/materials", data={"kind": kind, "csrf_token": token},
                  files={"file": (name, content, media)}, timeout=30, allow_redirects=False)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_X_STAFF_materials_page_in_the_browser(browser, site, scenario, tmp_path):
    case = _case(scenario)
    tab = browser.page()
    tab.sign_in("window")
    tab.go(f"/cases/{case.id}/materials")
    page = tab.page
    # J-ITEMS: per item (dibao 3, medical 2, the ID card in both), then what no item lists (3).
    assert page.locator(".checklist__item").count() == 8
    assert page.locator(".checklist .badge--success").count() == 0
    pdf = tmp_path / "身份证.pdf"
    pdf.write_bytes(pdf_bytes())
    page.select_option("#kind", "id_card")
    page.set_input_files("#file", str(pdf))
    tab.submit("button:has-text('上传')")
    page.wait_for_selector(".toast, [role=status]")
    assert page.locator(".checklist .badge--success").count() == 2  # the ID card of both items
    assert page.locator("table a[download]").inner_text() == "身份证.pdf"
    # A PNG named .pdf (a disguised file): the field says why, nothing is added.
    fake = tmp_path / "收入证明.pdf"
    fake.write_bytes(png_bytes())
    page.select_option("#kind", "income_statement")
    page.set_input_files("#file", str(fake))
    tab.submit("button:has-text('上传')")
    assert "伪装文件" in page.locator("#file-error").inner_text()
    assert page.locator(".error-summary").is_visible()
    assert page.locator("table a[download]").count() == 1
    shoot(tab, "materials-error")
    tab.go(f"/cases/{case.id}/materials")
    with page.expect_download() as info:
        page.click("table a[download]")
    assert hashlib.sha256(open(info.value.path(), "rb").read()).hexdigest() == hashlib.sha256(
        pdf.read_bytes()).hexdigest()
    tab.go(f"/cases/{case.id}/materials")
    assert page.locator("#material-log-title + .table-wrap tbody tr").count() == 2  # upload, download
    shoot(tab, "materials")
    assert axe(tab) == []
    page.set_viewport_size({"width": 360, "height": 800})
    assert overflowing(tab) == []
    assert tab.problems == []


@pytest.fixture
def stored_live(live, engine, tmp_path, materials_store: StoreUnderTest):  # noqa: F811
    """The live server (seeded by `live`) again, with the materials store under test."""
    with serving(engine, tmp_path, **materials_store.overrides) as site:
        yield site


def test_J_SEC_page_uploads_refused_and_stored(stored_live, scenario, engine, materials_store):  # noqa: F811 - the fixture
    live = stored_live
    case = _case(scenario)
    s, token = _session(live, "window")
    r = _post(s, live, case.id, token, "id_card", "id.pdf", pdf_bytes())
    assert r.status_code == 302, r.text[:300]
    r = _post(s, live, case.id, token, "medical_bills", "bill.png", png_bytes(), "image/png")
    assert r.status_code == 302
    # Text named .pdf, a PNG named .pdf, a forged CSRF token: refused, nothing stored.
    r = _post(s, live, case.id, token, "income_statement", "income.pdf", "一段文字".encode())
    assert r.status_code == 422 and 'id="file-error"' in r.text
    r = _post(s, live, case.id, token, "income_statement", "income.pdf", png_bytes())
    assert r.status_code == 422 and 'id="file-error"' in r.text
    r = _post(s, live, case.id, "forged", "id_card", "id.pdf", pdf_bytes())
    assert r.status_code == 400
    other, other_token = _session(live, "window-yixing")
    r = _post(other, live, case.id, other_token, "id_card", "id.pdf", pdf_bytes())
    assert r.status_code == 403
    assert other.get(f"{live.base}/cases/{case.id}/materials", timeout=10).status_code == 403
    materials = live.call("GET", f"/api/v1/instances/{case.id}/materials", as_="window").json()["materials"]
    assert [m["filename"] for m in materials] == ["id.pdf", "bill.png"]
    assert materials_store.stored() == sorted(hashlib.sha256(c).hexdigest() for c in (pdf_bytes(), png_bytes()))

    r = s.get(f"{live.base}/cases/{case.id}/materials/{materials[1]['id']}", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(r.content).hexdigest() == materials[1]["sha256"] == hashlib.sha256(png_bytes()).hexdigest()
    r = other.get(f"{live.base}/cases/{case.id}/materials/{materials[1]['id']}", timeout=10)
    assert r.status_code == 403
    history = live.call("GET", f"/api/v1/instances/{case.id}/history", as_="auditor").json()
    assert [e["input"]["filename"] for e in history if e["command"] == "upload_material"] == ["id.pdf", "bill.png"]
    log = live.call("GET", f"/api/v1/instances/{case.id}/materials", as_="window").json()["log"]
    assert [(e["action"], e["filename"]) for e in log][-1] == ("download", "bill.png")


def test_J_SEC_page_refuses_an_oversized_file(engine, scenario, tmp_path, materials_store):  # noqa: F811 - the fixture
    from api.demo import seed

    with engine.db.session() as s:
        seed(s, engine.clock.now())
    case = _case(scenario)
    with serving(engine, tmp_path, max_material_bytes=1024 * 1024, **materials_store.overrides) as site:
        s, token = _session(site, "window")
        big = pdf_bytes()[:-6] + b" " * (1024 * 1024) + b"%%EOF\n"
        r = _post(s, site, case.id, token, "id_card", "big.pdf", big)
        assert r.status_code == 422 and "文件超过 1 MB 上限" in r.text
        assert materials_store.stored() == []


def test_J_ONCE_W_URGENT_W_REFUSE_notices_are_pdfs_of_the_case(live, scenario):
    case = _case(scenario, key="JY-NOTICE-1")
    s, _token = _session(live, "window")
    texts = {}
    for kind in ("receipt", "missing-materials", "supplement"):
        r = s.get(f"{live.base}/cases/{case.id}/notices/{kind}.pdf", timeout=60)
        assert r.status_code == 200, r.text[:300]
        assert r.content.startswith(b"%PDF-") and r.headers["Content-Type"] == "application/pdf"
        assert r.headers["Content-Disposition"].startswith("attachment;")
        texts[kind] = pdf_text(r.content)
        assert "JY-NOTICE-1" in texts[kind]
    assert "受理回执" in texts["receipt"].replace(" ", "") and "张秀英" in texts["receipt"]
    assert "320281********" in texts["receipt"].replace(" ", "")  # the ID number masked: first 6, last 4
    once = texts["missing-materials"].replace(" ", "")
    assert "一次性告知书" in once and "户口簿" in once and "医疗费用票据" in once
    assert "补证通知书" in texts["supplement"].replace(" ", "")
    # No reason recorded yet: there is nothing to refuse.
    assert s.get(f"{live.base}/cases/{case.id}/notices/refusal.pdf", timeout=60).status_code == 409
    assert s.get(f"{live.base}/cases/{case.id}/notices/nonsense.pdf", timeout=60).status_code == 404
    other, _ = _session(live, "window-yixing")
    assert other.get(f"{live.base}/cases/{case.id}/notices/receipt.pdf", timeout=60).status_code == 403


def test_W_REFUSE_refusal_notice_names_reason_and_policy_basis(live, scenario):
    case = scenario.start(PROCESS, application(), "JY-REFUSE-1")
    case.complete("Task_CheckMaterials", {"materials_complete": "yes"})
    case.complete("Task_Accept", {"eligible": "no", "refusal_reason": "家庭人均收入高于当地低保标准",
                                  "urgent": "no"})
    s, _token = _session(live, "centre")
    r = s.get(f"{live.base}/cases/{case.id}/notices/refusal.pdf", timeout=60)
    assert r.status_code == 200, r.text[:300]
    text = pdf_text(r.content).replace(" ", "").replace("\n", "")
    assert "JY-REFUSE-1" in text and "家庭人均收入高于当地低保标准" in text
    assert "澄政发〔2018〕121号" in text  # the policy basis the county's template cites (W-REFUSE)
