"""X-STAFF, J-TRACK, J-ONCE, J-SEC: materials through the JSON API — typed uploads judged
by content, the SHA-256 kept and returned on download, downloads only as attachments,
uploads in the case history and downloads in the access log, the region scope, and
nothing stored when an upload is refused. Each test runs against both file stores (issue 15):
the directory and an S3-compatible bucket on a real local endpoint (tests/support/s3.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from api.demo import seed
from tests.api.conftest import Client, serving
from tests.scenarios.test_jiangyin import PROCESS, application
from tests.support.material_files import pdf_bytes, png_bytes
from tests.support.s3 import StoreUnderTest, materials_store, s3_endpoint  # noqa: F401 - fixtures


@pytest.fixture
def live(engine, tmp_path, materials_store: StoreUnderTest) -> Iterator[Client]:  # noqa: F811
    """The live server (tests/api/conftest.py) with the materials store under test."""
    with engine.db.session() as s:
        seed(s, engine.clock.now())
    with serving(engine, tmp_path, **materials_store.overrides) as client:
        yield client


def _case(scenario, key: str = "JY-MAT-API"):
    return scenario.start(PROCESS, application(aid_types=["dibao", "medical"]), key)


def _upload(site, case_id: str, who: str, kind: str, name: str, content: bytes, media: str = "application/pdf"):
    return site.call("POST", f"/api/v1/instances/{case_id}/materials", as_=who, data={"kind": kind},
                     files={"file": (name, content, media)})


def test_J_TRACK_upload_list_download_and_history(live, scenario, engine, materials_store):  # noqa: F811 - the fixture
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
    assert materials_store.stored() == sorted([first["sha256"], hashlib.sha256(png).hexdigest()])

    history = live.call("GET", f"/api/v1/instances/{case.id}/history", as_="auditor").json()
    uploads = [e for e in history if e["command"] == "upload_material"]
    assert [(e["actor"], e["input"]["filename"], e["input"]["sha256"]) for e in uploads] == [
        ("window", "身份证.pdf", first["sha256"]), ("window", "bill.png", hashlib.sha256(png).hexdigest())]
    assert live.call("GET", f"/api/v1/instances/{case.id}/verify", as_="auditor").json()["valid"] is True
    log = live.call("GET", f"/api/v1/instances/{case.id}/materials", as_="window").json()["log"]
    assert [(e["action"], e["actor"], e["filename"]) for e in log] == [
        ("upload", "window", "身份证.pdf"), ("upload", "window", "bill.png"), ("download", "centre", "身份证.pdf")]


def test_J_SEC_refused_uploads_store_nothing(live, scenario, engine, materials_store):  # noqa: F811 - the fixture
    case = _case(scenario)
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
    assert materials_store.stored() == []
    history = live.call("GET", f"/api/v1/instances/{case.id}/history", as_="auditor").json()
    assert not [e for e in history if e["command"] == "upload_material"]


def test_J_SEC_size_limit_is_configurable(engine, scenario, tmp_path, materials_store):  # noqa: F811 - the fixture
    with engine.db.session() as s:
        seed(s, engine.clock.now())
    case = _case(scenario)
    with serving(engine, tmp_path, max_material_bytes=2000, **materials_store.overrides) as site:
        big = pdf_bytes()[:-6] + b" " * 2000 + b"%%EOF\n"
        r = _upload(site, case.id, "window", "id_card", "big.pdf", big)
        assert r.status_code == 422 and r.json()["details"]["fields"]["file"] == ["larger than 2000 bytes"]
        assert _upload(site, case.id, "window", "id_card", "small.pdf", pdf_bytes()).status_code == 201
        listing = site.call("GET", f"/api/v1/instances/{case.id}/materials", as_="window").json()
    assert [m["filename"] for m in listing["materials"]] == ["small.pdf"]
    assert len(materials_store.stored()) == 1


def test_J_SEC_another_case_material_is_not_found(live, scenario):
    one, other = _case(scenario, "JY-MAT-A"), _case(scenario, "JY-MAT-B")
    material = _upload(live, one.id, "window", "id_card", "id.pdf", pdf_bytes()).json()
    r = live.call("GET", f"/api/v1/instances/{other.id}/materials/{material['id']}", as_="window")
    assert r.status_code == 404 and r.json()["details"] == {"material": material["id"]}
    r = live.call("GET", f"/api/v1/instances/{one.id}/materials/{material['id']}", as_="window-yixing")
    assert r.status_code == 403


def test_J_TRACK_same_file_twice_is_stored_once_and_read_back_checked(live, scenario, materials_store):  # noqa: F811 - the fixture
    """Content-addressed in either store: two uploads of one file keep one copy; a copy changed
    in the store behind the engine's back is refused on download (500 naming the file store),
    never handed out as if it were the file uploaded."""
    case = _case(scenario)
    pdf = pdf_bytes()
    first = _upload(live, case.id, "window", "id_card", "a.pdf", pdf).json()
    second = _upload(live, case.id, "window", "id_card", "b.pdf", pdf).json()
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    assert materials_store.stored() == [first["sha256"]]

    tampered = pdf.replace(b"%%EOF", b"%%EOX")
    if materials_store.kind == "directory":
        materials_store.store.path(first["sha256"]).write_bytes(tampered)  # type: ignore[attr-defined]
    else:
        store = materials_store.store
        store.client.put_object(Bucket=store.location.bucket, Key=store.key(first["sha256"]),  # type: ignore[attr-defined]
                                Body=tampered)
    r = live.call("GET", f"/api/v1/instances/{case.id}/materials/{first['id']}", as_="window")
    assert r.status_code == 500 and r.json()["error"] == "file_store", r.text
    assert pdf not in r.content and tampered not in r.content


def test_J_SEC_an_unreachable_s3_store_refuses_the_upload_and_keeps_no_row(engine, scenario, tmp_path):
    """A bucket that cannot be reached: the upload fails (500, the file store named) before the
    row is written, so the case has no material without its file and no history event."""
    import socket

    from engine.materials.s3 import S3Location
    from tests.support.s3 import TEST_KEY_ID, TEST_SECRET

    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    nowhere = S3Location(bucket="relief-nowhere", endpoint=f"http://127.0.0.1:{port}",
                         access_key_id=TEST_KEY_ID, secret_access_key=TEST_SECRET)
    with engine.db.session() as s:
        seed(s, engine.clock.now())
    case = _case(scenario)
    with serving(engine, tmp_path, materials_s3=nowhere) as site:
        r = _upload(site, case.id, "window", "id_card", "id.pdf", pdf_bytes())
        assert r.status_code == 500 and r.json()["error"] == "file_store", r.text
        assert "s3://relief-nowhere/materials/" in r.json()["message"]
        assert site.call("GET", f"/api/v1/instances/{case.id}/materials", as_="window").json()["materials"] == []
        history = site.call("GET", f"/api/v1/instances/{case.id}/history", as_="auditor").json()
    assert not [e for e in history if e["command"] == "upload_material"]
    assert not list((tmp_path / "files").rglob("*")) if (tmp_path / "files").exists() else True
