"""J-TRACK, issue 15: the S3-compatible materials store is chosen by RELIEF_MATERIALS_S3_*;
half a configuration stops the command with one line naming the variable, rather than
silently keeping uploads on one machine's disk."""

from __future__ import annotations

import pytest

from api.settings import ConfigurationError, Settings
from engine.materials.s3 import S3Location


def test_J_TRACK_bucket_selects_the_s3_store(monkeypatch, tmp_path):
    monkeypatch.setenv("RELIEF_MATERIALS_S3_BUCKET", "relief-materials")
    monkeypatch.setenv("RELIEF_MATERIALS_S3_ENDPOINT", "http://minio.internal:9000")
    monkeypatch.setenv("RELIEF_MATERIALS_S3_ACCESS_KEY_ID", "key")
    monkeypatch.setenv("RELIEF_MATERIALS_S3_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("RELIEF_MATERIALS_S3_PREFIX", "county-a")
    s = Settings.from_env(mode="test", var_dir=tmp_path)
    assert s.materials_s3 == S3Location(bucket="relief-materials", endpoint="http://minio.internal:9000",
                                        prefix="county-a/", access_key_id="key", secret_access_key="secret")


def test_J_TRACK_without_a_bucket_materials_stay_in_the_directory(monkeypatch, tmp_path):
    for name in ("BUCKET", "ENDPOINT", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "PREFIX"):
        monkeypatch.delenv(f"RELIEF_MATERIALS_S3_{name}", raising=False)
    s = Settings.from_env(mode="test", var_dir=tmp_path)
    assert s.materials_s3 is None and s.files_dir == tmp_path / "files"


@pytest.mark.parametrize(("env", "named"), [
    ({"RELIEF_MATERIALS_S3_ENDPOINT": "http://minio:9000"}, "RELIEF_MATERIALS_S3_BUCKET"),
    ({"RELIEF_MATERIALS_S3_BUCKET": "b-1", "RELIEF_MATERIALS_S3_ACCESS_KEY_ID": "k"},
     "RELIEF_MATERIALS_S3_SECRET_ACCESS_KEY"),
    ({"RELIEF_MATERIALS_S3_BUCKET": "b-1", "RELIEF_MATERIALS_S3_ENDPOINT": "minio:9000"},
     "RELIEF_MATERIALS_S3_ENDPOINT"),
])
def test_J_TRACK_half_an_s3_configuration_is_refused_by_name(monkeypatch, tmp_path, env, named):
    for name in ("BUCKET", "ENDPOINT", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "PREFIX"):
        monkeypatch.delenv(f"RELIEF_MATERIALS_S3_{name}", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigurationError, match=named):
        Settings.from_env(mode="test", var_dir=tmp_path)
