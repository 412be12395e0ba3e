"""Data key custody (J-SEC; docs/security.md): where keys come from, what a bad one says,
and `relief keys` as an operator runs a rotation."""

from __future__ import annotations

import stat

import pytest
from click.testing import CliRunner

from api.cli import main
from api.settings import Settings
from engine.crypto import keys, rotate
from engine.crypto.keys import DataKeyError, Keyring
from tests.engine.helpers import mini_bundle

TEST_KEY = "test1:dGVzdC1vbmx5LWRhdGEta2V5LTMyLWJ5dGVzLSEhISE"


def test_J_SEC_production_refuses_to_start_without_a_data_key(monkeypatch, tmp_path):
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    monkeypatch.delenv(keys.KEY_FILE_ENV, raising=False)
    with pytest.raises(ValueError, match="RELIEF_DATA_KEY"):
        Settings.from_env(mode="production", secret_key="s", database_url=f"sqlite:///{tmp_path}/p.sqlite",
                          var_dir=tmp_path)
    assert not (tmp_path / "data_keys").exists()  # production never makes one up


def test_J_SEC_outside_production_a_key_is_generated_into_var_readable_by_the_owner_only(monkeypatch, tmp_path):
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    monkeypatch.delenv(keys.KEY_FILE_ENV, raising=False)
    first = Settings.from_env(mode="demo", var_dir=tmp_path).keyring
    again = Settings.from_env(mode="demo", var_dir=tmp_path).keyring
    path = tmp_path / "data_keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.ids == again.ids and first.primary.lookup == again.primary.lookup  # the same key each start


def test_J_SEC_key_file_and_bad_keys_are_named_clearly(monkeypatch, tmp_path):
    path = tmp_path / "keys"
    path.write_text(f"# rotated 2026-11\n{keys.generate_entry('k2')}\n{TEST_KEY}\n")
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(path))
    assert keys.from_environment().ids == ("k2", "test1")
    monkeypatch.setenv(keys.KEY_ENV, TEST_KEY)
    with pytest.raises(DataKeyError, match="not both"):
        keys.from_environment()
    for bad, said in (("k1", "<id>:<base64>"), ("k1:c2hvcnQ", "32 bytes"), (f"{TEST_KEY},{TEST_KEY}", "twice"),
                      ("bad$id:" + TEST_KEY.split(":")[1], "letters")):
        with pytest.raises(DataKeyError, match=said):
            Keyring.parse(bad)
    with pytest.raises(DataKeyError, match="k0"):
        Keyring.parse(TEST_KEY).get("k0")


def test_J_SEC_relief_keys_rotate_moves_everything_to_a_new_key_and_status_says_when_the_old_may_go(
        cli_env, monkeypatch, tmp_path):
    engine = cli_env
    engine.deploy(mini_bundle(), "designer")
    engine.start("mini_case", {"applicant_phone": "13912345678"}, "KEYS-1", "clerk")
    key_file = tmp_path / "data_keys"
    key_file.write_text(TEST_KEY + "\n")
    made = CliRunner().invoke(main, ["keys", "generate", "--id", "k2", "--into", str(key_file)])
    assert made.exit_code == 0, made.output
    assert key_file.read_text().splitlines()[0].startswith("k2:") and TEST_KEY in key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    monkeypatch.delenv(keys.KEY_ENV)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(key_file))
    before = CliRunner().invoke(main, ["keys", "status"])
    assert before.exit_code == 0 and "primary key: k2" in before.output and "test1: " in before.output
    rotated = CliRunner().invoke(main, ["keys", "rotate", "--batch", "2"])
    assert rotated.exit_code == 0, rotated.output
    assert "key test1 seals nothing any more" in rotated.output
    figures = _status(engine.db.url, Keyring.parse(key_file.read_text()))
    assert figures["instances.state"] == {"k2": 1}
    assert {k for counts in figures.values() for k in counts} == {"k2"}


def _status(url: str, keyring: Keyring) -> dict:
    from engine.store.db import Database

    db = Database(url, keyring)
    try:
        return rotate.status(db)
    finally:
        db.dispose()
