"""X-STAFF, J-TRACK, J-ONCE, J-SEC: materials through the JSON API — typed uploads judged
by content, the SHA-256 kept and returned on download, downloads only as attachments,
uploads in the case history and downloads in the access log, the region scope, and
nothing stored when an upload is refused."""

from __future__ import annotations

import hashlib

from tests.api.conftest import serving
from tests.scenarios.test_jiangyin import PROCESS, application
from tests.support.material_files import pdf_bytes, png_bytes


def _case(scenario, key: str = "JY-MAT-API"):
    return scenario.start(PROCESS, application(aid_types=["dibao", "medical"]), key)


def _upload(site, case_id: str, who: str, kind: str, name: str, content: bytes, media: str = "application/pdf"):
    return site.call("POST", f"/api/v1/instances/{case_id}/materials", as_=who, data={"kind": kind},
                     files={"file": (name, content, media)})


def _files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_J_TRACK_upload_list_download_and_history(live, scenario, engine):
    case = _case(scenario)
    pdf, png = pdf_bytes(), png_bytes()
    r = _upload(live, case.id, "window", "id_card", "身份证.pdf", pdf)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["media_type"] == "application/pdf" and first["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert first["size"] == len(pdf) and first["uploaded_by"] == "window"
    # A PNG sent with a wrong declared type is judged by its content.
    r = _upload(live, case.id, "window", "medical_bills", "bill.png", png, media="application/octet-stream")
    assert r.status_code == 201, r.text
    assert r.json()["media_type"] == "image/png"

    listing = live.call("GET", f"/api/v1/instances/{case.id}/materials", as_="leader").json()
    assert [m["filename"] for m in listing["materials"]] == ["身份证.pdf", "bill.png"]
    checklist = {i["key"]: i for i in listing["checklist"]}
    assert checklist["id_card"]["provided"] == 1 and checklist["medical_bills"]["provided"] == 1
    assert checklist["household_register"]["provided"] == 0
    assert checklist["household_register"]["aid_types"] == ["dibao"]

    r = live.call("GET", f"/api/v1/instances/{case.id}/materials/{first['id']}", as_="centre")
    assert r.status_code == 200
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E8%BA%AB%E4%BB%BD%E8%AF%81.pdf" in r.headers["Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Type"] == "application/pdf"
    assert hashlib.sha256(r.content).hexdigest() == first["sha256"]

    history = live.call("GET", f"/api/v1/instances/{case.id}/history", as_="auditor").json()
    uploads = [e for e in history if e["command"] == "upload_material"]
    assert [(e["actor"], e["input"]["filename"], e["input"]["sha256"]) for e in uploads] == [
        ("window", "身份证.pdf", first["sha256"]), ("window", "bill.png", hashlib.sha256(png).hexdigest())]
    assert live.call("GET", f"/api/v1/instances/{case.id}/verify", as_="auditor").json()["valid"] is True
    log = live.call("GET", f"/api/v1/instances/{case.id}/materials", as_="window").json()["log"]
    assert [(e["action"], e["actor"], e["filename"]) for e in log] == [
        ("upload", "window", "身份证.pdf"), ("upload", "window", "bill.png"), ("download", "centre", "身份证.pdf")]


def test_J_SEC_refused_uploads_store_nothing(live, scenario, engine, tmp_path):
    case = _case(scenario)
    files = tmp_path / "files"
    refused = [
        ("file", _upload(live, case.id, "window", "id_card", "id.pdf", "这不是PDF，是一段文字".encode())),
        ("file", _upload(live, case.id, "window", "id_card", "id.pdf", png_bytes(), "application/pdf")),  # disguised
        ("file", _upload(live, case.id, "window", "id_card", "id.pdf", b"")),
        ("kind", _upload(live, case.id, "window", "no-such-kind", "id.pdf", pdf_bytes())),
    ]
    for field, r in refused:
        assert r.status_code == 422, r.text
        assert field in r.json()["details"]["fields"], r.text
    # Another county's clerk: the case is outside her region.
    r = _upload(live, case.id, "window-yixing", "id_card", "id.pdf", pdf_bytes())
    assert r.status_code == 403, r.text
    assert live.call("GET", f"/api/v1/instances/{case.id}/materials", as_="window-yixing").status_code == 403
    # Leaders read materials but add none.
    assert _upload(live, case.id, "leader", "id_card", "id.pdf", pdf_bytes()).status_code == 403
    assert live.call("GET", f"/api/v1/instances/{case.id}/materials", as_="window").json()["materials"] == []
    assert _files(files) == []
    history = live.call("GET", f"/api/v1/instances/{case.id}/history", as_="auditor").json()
    assert not [e for e in history if e["command"] == "upload_material"]


def test_J_SEC_size_limit_is_configurable(engine, scenario, tmp_path):
    from api.demo import seed

    with engine.db.session() as s:
        seed(s, engine.clock.now())
    case = _case(scenario)
    with serving(engine, tmp_path, max_material_bytes=2000) as site:
        big = pdf_bytes()[:-6] + b" " * 2000 + b"%%EOF\n"
        r = _upload(site, case.id, "window", "id_card", "big.pdf", big)
        assert r.status_code == 422 and r.json()["details"]["fields"]["file"] == ["larger than 2000 bytes"]
        assert _upload(site, case.id, "window", "id_card", "small.pdf", pdf_bytes()).status_code == 201
        listing = site.call("GET", f"/api/v1/instances/{case.id}/materials", as_="window").json()
    assert [m["filename"] for m in listing["materials"]] == ["small.pdf"]
    assert len(_files(tmp_path / "files")) == 1


def test_J_SEC_another_case_material_is_not_found(live, scenario):
    one, other = _case(scenario, "JY-MAT-A"), _case(scenario, "JY-MAT-B")
    material = _upload(live, one.id, "window", "id_card", "id.pdf", pdf_bytes()).json()
    r = live.call("GET", f"/api/v1/instances/{other.id}/materials/{material['id']}", as_="window")
    assert r.status_code == 404 and r.json()["details"] == {"material": material["id"]}
    r = live.call("GET", f"/api/v1/instances/{one.id}/materials/{material['id']}", as_="window-yixing")
    assert r.status_code == 403
