"""Forms looked up by form key under forms/, and the repository's own forms (X-FORMS)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.errors import DefinitionInvalid, NotFound, ValidationFailed
from engine.forms import FormRegistry, validate_submission

ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, *components) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "default", "components": list(components)}), encoding="utf-8")


@pytest.fixture
def registry(tmp_path):
    root = tmp_path / "forms"
    write(root / "jiangyin" / "accept.json", {"type": "textfield", "key": "note"})
    return FormRegistry(root)


def test_X_FORMS_registry_loads_by_form_key(registry):
    defn = registry.get("jiangyin/accept.json")
    assert defn.file == "jiangyin/accept.json"
    assert [f.key for f in defn.fields] == ["note"]
    assert registry.keys() == ["jiangyin/accept.json"]


@pytest.mark.parametrize("key", ["../secret.json", "jiangyin/../../secret.json", "/etc/passwd.json",
                                 "jiangyin\\..\\..\\x.json", "C:/x.json", "", "  ", "jiangyin/accept.txt",
                                 "jiangyin/accept"])
def test_X_FORMS_registry_refuses_keys_that_escape_the_root(registry, key):
    with pytest.raises(DefinitionInvalid) as info:
        registry.get(key)
    assert info.value.details["problems"][0]["file"] == key


def test_X_FORMS_registry_refuses_symlinks_out_of_the_root(registry, tmp_path):
    write(tmp_path / "outside.json", {"type": "textfield", "key": "x"})
    link = registry.root / "jiangyin" / "link.json"
    try:
        link.symlink_to(tmp_path / "outside.json")
    except OSError:
        pytest.skip("no symlinks here")
    with pytest.raises(DefinitionInvalid):
        registry.get("jiangyin/link.json")


def test_X_FORMS_registry_missing_form_is_not_found(registry):
    with pytest.raises(NotFound):
        registry.get("jiangyin/none.json")
    with pytest.raises(NotFound):
        registry.get("jiangyin.json/")  # not a file


def test_X_FORMS_registry_caches_until_the_file_changes(registry):
    first = registry.get("jiangyin/accept.json")
    assert registry.get("jiangyin/accept.json") is first
    path = registry.root / "jiangyin" / "accept.json"
    write(path, {"type": "textfield", "key": "note"}, {"type": "number", "key": "days"})
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = registry.get("jiangyin/accept.json")
    assert second is not first
    assert [f.key for f in second.fields] == ["note", "days"]


def test_X_FORMS_registry_reports_a_broken_form_by_key(registry):
    write(registry.root / "wuhai" / "broken.json", {"type": "select", "key": "dept"})
    with pytest.raises(DefinitionInvalid) as info:
        registry.get("wuhai/broken.json")
    assert info.value.details["problems"][0]["file"] == "wuhai/broken.json"
    assert info.value.details["problems"][0]["element"] == "dept"


REPO_FORMS = FormRegistry(ROOT / "forms")


@pytest.mark.parametrize("key", REPO_FORMS.keys())
def test_X_FORMS_repository_forms_load_and_compile(key):
    defn = REPO_FORMS.get(key)
    # an empty draft passes: nothing is required in partial mode
    assert validate_submission(defn, {}, partial=True) == {}


@pytest.mark.skipif(not (ROOT / "forms" / "tengzhou" / "application.json").is_file(),
                    reason="Tengzhou application form not present")
def test_X_FORMS_tengzhou_application_helper_needed_only_for_assisted_channels():
    defn = REPO_FORMS.get("tengzhou/application.json")
    base = {"applicant_name": "张三", "applicant_id_number": "370481200002290030",
            "applicant_phone": "13812345678", "aid_types": ["dibao"], "reason": "失业",
            "applicant_address": "滕州市荆河街道杏坛社区"}
    assert "helper_name" not in validate_submission(defn, {**base, "channel": "window", "helper_name": "x"})
    with pytest.raises(ValidationFailed) as info:
        validate_submission(defn, {**base, "channel": "grid"})
    assert list(info.value.details["fields"]) == ["helper_name"]
