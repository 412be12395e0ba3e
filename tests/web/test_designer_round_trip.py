"""Round trip of a deployed version (issue 13, X-DESIGN): downloaded from the designer as
a zip, unpacked and given to `relief deploy`, it is the same version (same hash) in the
same database and the same hash in a fresh one; designers only. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from engine.store.db import Database
from engine.store.models import Definition
from tests.api.conftest import live  # noqa: F401 - the live server fixture

ROOT = Path(__file__).resolve().parents[2]


def _relief(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RELIEF_DATABASE_URL": f"sqlite:///{tmp_path}/fresh.sqlite", "RELIEF_MODE": "test",
           "RELIEF_VAR_DIR": str(tmp_path), "RELIEF_FORMS_ROOT": str(tmp_path / "no-forms")}
    proc = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_X_DESIGN_a_downloaded_version_redeployed_with_relief_deploy_has_the_same_hash(scenario, live,  # noqa: F811
                                                                                       tmp_path):
    engine = scenario.engine
    [wuhai, *_] = engine.process_versions("wuhai_one_door")
    url = f"/designer/wuhai_one_door/versions/{wuhai.version}/download"
    assert live.call("GET", url, as_="window").status_code == 403
    assert live.call("GET", url, as_="auditor").status_code == 403
    assert live.call("GET", "/designer/wuhai_one_door/versions/999/download", as_="designer").status_code == 404
    got = live.call("GET", url, as_="designer")
    assert got.status_code == 200 and got.headers["Content-Type"] == "application/zip"
    assert f"wuhai_one_door-v{wuhai.version}.zip" in got.headers["Content-Disposition"]
    folder = tmp_path / "download"
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        names = set(archive.namelist())
        archive.extractall(folder)
    # The diagram, the shared sub-process it calls, its routing table and its forms.
    assert {"wuhai_one_door.bpmn", "department_handling.bpmn", "lead_department.dmn"} <= names
    assert any(n.startswith("forms/wuhai/") for n in names) and any(n.startswith("forms/common/") for n in names)

    # The same database: the same version, nothing new (what `relief deploy` calls).
    again = {d.key: d for d in engine.deploy_paths([folder], "designer-b").definitions}
    assert again["wuhai_one_door"].id == wuhai.id

    # A fresh database through the command itself: the same version hash. Its forms folder is
    # empty, so the forms deployed are the downloaded ones.
    _relief(tmp_path, "db", "upgrade")
    out = _relief(tmp_path, "deploy", str(folder)).stdout
    assert "wuhai_one_door:1" in out
    fresh = Database(f"sqlite:///{tmp_path}/fresh.sqlite")
    try:
        with fresh.reading() as s:
            hashes = {d.key: d.content_hash for d in s.query(Definition)}
    finally:
        fresh.dispose()
    assert hashes["wuhai_one_door"] == wuhai.content_hash
    common = engine.process_versions("common_department_handling")
    assert hashes["common_department_handling"] in {d.content_hash for d in common}
