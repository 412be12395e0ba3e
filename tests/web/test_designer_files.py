"""The designer's routing tables and forms (issue 13, X-DESIGN): open a deployed table or
form, save a draft, lint it with the deploy checks (alone and with the process that uses
it), deploy only the changed file (the process gets a new version, its other files as
deployed), a new form drafted beside a diagram deploys with it, downloads byte for byte,
the diff of two versions' tables and forms; designers only. SQLite and PostgreSQL."""

from __future__ import annotations

import json

from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.engine.helpers import unique_key
from tests.web.designer_fixtures import dmn, routed_bundle, routed_xml


def test_X_DESIGN_table_draft_lint_deploy_only_the_changed_file_and_diff(engine, live):  # noqa: F811
    key = unique_key("dmnweb")
    engine.deploy(routed_bundle(key), "designer")
    name = f"{key}/route.dmn"
    page = live.call("GET", f"/designer/files/edit/{name}", as_="designer")
    assert page.status_code == 200 and 'id="file-data"' in page.text and key in page.text
    assert live.call("GET", f"/designer/files/edit/{name}", as_="window").status_code == 403
    assert live.call("GET", "/designer/files", as_="designer").text.count(name) >= 1
    assert live.call("GET", "/designer/files/edit/nothing/here.dmn", as_="designer").status_code == 404
    assert live.call("GET", "/designer/files/edit/not-a-table.txt", as_="designer").status_code == 422

    # Lint: a code injection in a cell is named as the deploy command names it; clean → [].
    broken = dmn(key, yes='" + __import__("os").name + "')
    problems = live.call("POST", f"/designer/files/lint/{name}", as_="designer", json={"content": broken}).json()
    assert problems["problems"] and any("__import__" in p["message"] for p in problems["problems"])
    clean = live.call("POST", f"/designer/files/lint/{name}", as_="designer", json={"content": dmn(key, "centre")})
    assert clean.json() == {"problems": []}
    # The process's checks too: a table without the decision the diagram calls.
    renamed = dmn(key, "centre").replace(f'decision id="{key}_route"', f'decision id="{key}_other"')
    problems = live.call("POST", f"/designer/files/lint/{name}", as_="designer", json={"content": renamed}).json()
    assert problems["problems"], "the diagram calls a decision the table no longer has"

    # Draft: bad input names its field and stores nothing; a stale revision is refused.
    missing = live.call("POST", f"/designer/files/draft/{name}", as_="designer", json={})
    assert missing.status_code == 422 and "content" in missing.json()["details"]["fields"]
    not_dmn = live.call("POST", f"/designer/files/draft/{name}", as_="designer", json={"content": "<a/>"})
    assert not_dmn.status_code == 422 and "content" in not_dmn.json()["details"]["fields"]
    assert engine.design_file(name).draft is None
    saved = live.call("POST", f"/designer/files/draft/{name}", as_="designer", json={"content": dmn(key, "centre")})
    assert saved.status_code == 200 and saved.json()["revision"] == 1
    stale = live.call("POST", f"/designer/files/draft/{name}", as_="designer",
                      json={"content": dmn(key, "centre"), "revision": 0})
    assert stale.status_code == 409
    assert "centre" in live.call("GET", f"/designer/files/edit/{name}", as_="designer").text
    draft_file = live.call("GET", f"/designer/files/download/{name}", as_="designer")
    assert draft_file.content == dmn(key, "centre").encode()
    assert "attachment" in draft_file.headers["Content-Disposition"]
    deployed_file = live.call("GET", f"/designer/files/download/{name}?deployed=1", as_="designer")
    assert deployed_file.content == dmn(key).encode()

    # Deploy only the table: the process gets version 2 with the same diagram and form.
    done = live.call("POST", f"/designer/files/deploy/{name}", as_="designer", allow_redirects=False)
    assert done.status_code == 302 and done.headers["Location"].endswith("/designer/files")
    v1, v2 = engine.process_version(key, 1), engine.process_version(key, 2)
    assert engine.definition_diagram(v2) == engine.definition_diagram(v1) == routed_xml(key).encode()
    assert engine.version_tables_and_forms(v2)[name] == ("dmn", dmn(key, "centre").encode())
    assert engine.design_file(name).draft is None  # deployed: the draft is gone

    diff = live.call("GET", f"/designer/{key}/diff?old=1&new=2", as_="designer")
    assert diff.status_code == 200 and "Rule_yes" in diff.text and "centre" in diff.text
    assert f"/designer/{key}/versions/2/diagram.bpmn" in live.call("GET", f"/designer/{key}/versions",
                                                                    as_="designer").text
    bpmn = live.call("GET", f"/designer/{key}/versions/2/diagram.bpmn", as_="designer")
    assert bpmn.status_code == 200 and bpmn.content == routed_xml(key).encode()
    assert live.call("GET", f"/designer/{key}/versions/7/diagram.bpmn", as_="designer").status_code == 404


def test_X_DESIGN_form_draft_deploys_alone_and_a_new_form_deploys_with_its_diagram(engine, live):  # noqa: F811
    key = unique_key("formweb")
    engine.deploy(routed_bundle(key), "designer")
    name = f"{key}/review.json"
    form = json.loads(engine.design_file(name).content)
    form["components"].append({"type": "textfield", "key": "remark", "label": "备注"})
    bad = dict(form, components=form["components"] + [{"type": "textfield", "key": "remark", "label": "重复"}])
    problems = live.call("POST", f"/designer/files/lint/{name}", as_="designer",
                         json={"content": json.dumps(bad, ensure_ascii=False)}).json()["problems"]
    assert problems, "a duplicate field key is what the deploy command refuses"
    saved = live.call("POST", f"/designer/files/draft/{name}", as_="designer",
                      json={"content": json.dumps(form, ensure_ascii=False)})
    assert saved.status_code == 200
    assert live.call("POST", f"/designer/files/deploy/{name}", as_="designer", allow_redirects=False).status_code == 302
    v2 = engine.process_version(key, 2)
    assert json.loads(engine.version_tables_and_forms(v2)[name][1])["components"][-1]["key"] == "remark"
    diff = live.call("GET", f"/designer/{key}/diff?old=1&new=2", as_="designer")
    assert "remark" in diff.text and "备注" in diff.text

    # A new form, drafted in the designer, goes with the diagram draft that references it.
    new_form = f"{key}/extra.json"
    created = live.call("POST", "/designer/files/new", as_="designer", allow_redirects=False,
                        data={"name": new_form, "kind": "form"})
    assert created.status_code in (302, 422)
    schema = {"type": "default", "id": "extra", "schemaVersion": 16,
              "components": [{"type": "textfield", "key": "extra_note", "label": "补充说明"}]}
    engine.save_file_draft(new_form, json.dumps(schema, ensure_ascii=False).encode(), "designer")
    xml = routed_xml(key).replace(f'value="{key}/review.json"', f'value="{new_form}"')
    assert engine.lint_draft(key, xml.encode()) == []
    engine.save_process_draft(key, xml.encode(), "designer")
    engine.deploy_draft(key, "designer")
    assert new_form in engine.version_tables_and_forms(engine.process_version(key, 3))


def test_X_DESIGN_a_table_no_deployed_process_uses_is_not_deployed_alone(engine, live):  # noqa: F811
    key = unique_key("lonely")
    name = f"{key}/alone.dmn"
    engine.save_file_draft(name, dmn(key).encode(), "designer")
    refused = live.call("POST", f"/designer/files/deploy/{name}", as_="designer")
    assert refused.status_code == 200 and "还没有已部署的流程使用此文件" in refused.text
    assert engine.process_versions(key) == []
    discarded = live.call("POST", f"/designer/files/discard/{name}", as_="designer", allow_redirects=False)
    assert discarded.status_code == 302
    assert live.call("GET", f"/designer/files/edit/{name}", as_="designer").status_code == 404
