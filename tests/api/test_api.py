"""The JSON API over real HTTP: authentication, one rule per endpoint, errors that name
the field or element, and the flow from deployment to a completed task (X-STAFF, J-SEC)."""

from pathlib import Path

import pytest

from api.app import create_app
from api.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _deploy_mini(live, as_="designer", bpmn: bytes | None = None):
    files = [("files", ("mini.bpmn", bpmn or (FIXTURES / "mini.bpmn").read_bytes(), "application/xml")),
             ("files", ("mini/review.json", (FIXTURES / "forms/mini/review.json").read_bytes(), "application/json"))]
    return live.call("POST", "/api/v1/deployments", as_=as_, files=files)


def test_J_SEC_every_endpoint_has_an_authorization_rule(tmp_path):
    app = create_app(Settings.from_env(mode="test", database_url=f"sqlite:///{tmp_path}/x.sqlite", var_dir=tmp_path))
    missing = [r.endpoint for r in app.url_map.iter_rules()
               if r.endpoint != "static" and not r.endpoint.startswith("api-docs.")
               and getattr(app.view_functions[r.endpoint], "_relief_rule", None) is None]
    assert missing == []


def test_login_wrong_password_is_401_and_no_token_is_401(live):
    r = live.call("POST", "/api/v1/auth/token", json={"username": "window", "password": "wrong-password"})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    r = live.call("GET", "/api/v1/tasks")
    assert r.status_code == 401
    r = live.call("GET", "/api/v1/tasks", headers={"Authorization": "Bearer forged.token.value"})
    assert r.status_code == 401


def test_bad_request_body_names_the_field(live):
    r = live.call("POST", "/api/v1/auth/token", json={"username": "window"})
    assert r.status_code == 422
    assert r.json()["error"] == "validation_failed" and "password" in r.json()["details"]["fields"]


def test_openapi_document_and_local_docs(live):
    spec = live.call("GET", "/api/v1/openapi.json").json()
    for path in ["/api/v1/auth/token", "/api/v1/deployments", "/api/v1/definitions", "/api/v1/instances",
                 "/api/v1/instances/{instance_id}/history", "/api/v1/tasks/{task_id}/complete",
                 "/api/v1/messages"]:
        assert path in spec["paths"], path
    r = live.call("GET", "/", allow_redirects=True)
    assert r.status_code == 200 and '<meta charset="utf-8">' in r.text
    assert "http://" not in r.text and "https://" not in r.text  # no CDN
    assert live.call("GET", "/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_X_DESIGN_only_designers_deploy_and_bad_bpmn_names_the_element(live):
    before = live.call("GET", "/api/v1/definitions", as_="designer").json()
    assert _deploy_mini(live, as_="window").status_code == 403
    bad = (FIXTURES / "mini.bpmn").read_text("utf-8").replace("approved == 'yes'", "().__class__")
    r = _deploy_mini(live, bpmn=bad.encode())
    assert r.status_code == 422
    assert any(p["element"] == "Flow_Yes" for p in r.json()["details"]["problems"])
    assert live.call("GET", "/api/v1/definitions", as_="designer").json() == before
    r = _deploy_mini(live)
    assert r.status_code == 201 and r.json()["definitions"][0]["key"] == "mini_case"


def test_X_STAFF_case_from_start_to_completed_task_over_http(live):
    assert _deploy_mini(live).status_code == 201
    r = live.call("POST", "/api/v1/instances", as_="window",
                  json={"definition": "mini_case", "business_key": "HTTP-1",
                        "data": {"applicant_id_number": "11010519491231002X", "applicant_phone": "13812345678"}})
    assert r.status_code == 201, r.text
    instance = r.json()
    assert live.call("GET", "/api/v1/tasks", as_="window").json() == []  # not the window's task
    [task] = live.call("GET", "/api/v1/tasks", as_="centre").json()
    detail = live.call("GET", f"/api/v1/tasks/{task['id']}", as_="centre").json()
    assert detail["form"]["components"][0]["key"] == "approved"
    assert detail["data"]["applicant_phone"] == "13812345678"
    r = live.call("POST", f"/api/v1/tasks/{task['id']}/complete", as_="centre", json={"data": {"approved": "x"}})
    assert r.status_code == 422 and "approved" in r.json()["details"]["fields"]
    assert live.call("POST", f"/api/v1/tasks/{task['id']}/claim", as_="centre").json()["assignee"] == "centre"
    r = live.call("POST", f"/api/v1/tasks/{task['id']}/complete", as_="centre", json={"data": {"approved": "no"}})
    assert r.status_code == 200 and r.json()["state"] == "completed"
    got = live.call("GET", f"/api/v1/instances/{instance['id']}", as_="window").json()
    assert got["status"] == "completed" and got["data"]["applicant_id_number"] == "11010519491231002X"
    masked = live.call("GET", f"/api/v1/instances/{instance['id']}", as_="auditor").json()
    assert masked["data"]["applicant_id_number"] != "11010519491231002X"
    assert masked["data"]["applicant_phone"].startswith("138") and "*" in masked["data"]["applicant_phone"]
    history = live.call("GET", f"/api/v1/instances/{instance['id']}/history", as_="auditor").json()
    assert [e["command"] for e in history] == ["start_instance", "claim_task", "complete_task"]
    assert live.call("GET", f"/api/v1/instances/{instance['id']}/verify", as_="auditor").json()["valid"] is True


@pytest.mark.parametrize("body, field", [({"definition": "mini_case", "business_key": ""}, "business_key"),
                                         ({"data": {}}, "definition")])
def test_start_with_bad_input_is_422_naming_the_field(live, body, field):
    _deploy_mini(live)
    r = live.call("POST", "/api/v1/instances", as_="window", json=body)
    assert r.status_code == 422 and field in r.json()["details"]["fields"]


def test_message_to_nobody_waiting_is_404_or_409(live):
    _deploy_mini(live)
    live.call("POST", "/api/v1/instances", as_="window", json={"definition": "mini_case", "business_key": "M-1"})
    r = live.call("POST", "/api/v1/messages", as_="window",
                  json={"name": "supplementary_documents", "business_key": "M-1", "payload": {}})
    assert r.status_code == 409 and r.json()["details"]["business_key"] == "M-1"
    r = live.call("POST", "/api/v1/messages", as_="window", json={"name": "x", "business_key": "NONE"})
    assert r.status_code == 404


def test_roles_limit_what_a_user_may_do(live):
    _deploy_mini(live)
    assert live.call("GET", "/api/v1/instances", as_="applicant").status_code == 403
    r = live.call("POST", "/api/v1/instances/00000000-0000-0000-0000-000000000000/cancel", as_="window",
                  json={"reason": "x"})
    assert r.status_code == 403


def test_J_SEC_each_view_of_a_full_record_is_logged(live, engine):
    import sqlalchemy as sa

    from engine.store.models import AccessLog

    _deploy_mini(live)
    inst = live.call("POST", "/api/v1/instances", as_="window",
                     json={"definition": "mini_case", "data": {"applicant_phone": "13812345678"}}).json()
    live.call("GET", f"/api/v1/instances/{inst['id']}", as_="auditor")  # masked: not logged
    live.call("GET", f"/api/v1/instances/{inst['id']}", as_="window")
    with engine.db.session() as s:
        rows = s.scalars(sa.select(AccessLog).where(AccessLog.instance_id == inst["id"])).all()
    assert [(r.actor, r.fields) for r in rows] == [("window", ["applicant_phone"])]


def test_staff_start_cases_only_in_their_own_region(live, engine):
    import sqlalchemy as sa

    from engine.auth import create_user
    from engine.store.models import User

    with engine.db.session() as s:  # users outlive a test; create this one once per database
        if s.scalar(sa.select(User.id).where(User.username == "window-jy")) is None:
            create_user(s, "window-jy", "demo-pass-2026", ["clerk"], ["window"], region="320281")
    _deploy_mini(live)
    r = live.call("POST", "/api/v1/instances", as_="window-jy", json={"definition": "mini_case", "region": "150300"})
    assert r.status_code == 403 and r.json()["details"]["region"] == "150300"
    r = live.call("POST", "/api/v1/instances", as_="window-jy", json={"definition": "mini_case"})
    assert r.status_code == 201 and r.json()["region"] == "320281"
