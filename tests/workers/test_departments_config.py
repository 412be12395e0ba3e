"""The department configuration file (workers/departments.json, J-DEPTS, W-ROUTE, W-SUPERVISE)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workers.departments import DEFAULT_FILE, departments


def test_W_SUPERVISE_shipped_configuration_loads() -> None:
    """The shipped file passes the same checks every worker applies when it reads it."""
    assert all(d["mode"] in ("worklist", "webhook") for d in json.loads(DEFAULT_FILE.read_text("utf-8")).values()
               if isinstance(d, dict))
    assert departments()  # the default file, read through the same checks


@pytest.mark.parametrize("days", [0, 91, 2.5, "20", True])
def test_W_SUPERVISE_webhook_handling_days_must_be_whole_working_days_the_intake_form_allows(
        days: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A webhook department's handling limit supervises its system's answer; a value the worklist
    intake form would refuse (1–90 whole working days) is a configuration error, named at load."""
    path = tmp_path / "departments.json"
    path.write_text(json.dumps({"hrss": {"name": "人社局", "mode": "webhook", "url": "http://127.0.0.1:9/",
                                         "secret_env": "X", "handling_days": days}}), "utf-8")
    monkeypatch.setenv("RELIEF_DEPARTMENTS_FILE", str(path))
    with pytest.raises(ValueError, match="department 'hrss' has handling_days"):
        departments()


def test_W_SUPERVISE_webhook_handling_days_is_optional_and_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without handling_days the diagram's default applies; with it, the workers hand it to the diagram."""
    path = tmp_path / "departments.json"
    base = {"name": "人社局", "mode": "webhook", "url": "http://127.0.0.1:9/", "secret_env": "X"}
    path.write_text(json.dumps({"hrss": {**base, "handling_days": 15}, "education": base}), "utf-8")
    monkeypatch.setenv("RELIEF_DEPARTMENTS_FILE", str(path))
    assert departments()["hrss"]["handling_days"] == 15
    assert "handling_days" not in departments()["education"]  # the diagram's default (20) applies
