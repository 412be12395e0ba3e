"""Configuration from the environment; nothing is read at import time."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from engine.crypto import keys
from engine.crypto.keys import Keyring

ROOT = Path(__file__).resolve().parent.parent
MODES = ("production", "demo", "test")


@dataclass
class Settings:
    database_url: str = ""
    mode: str = "production"
    secret_key: str = ""
    workflows_root: Path = field(default_factory=lambda: ROOT / "workflows")
    forms_root: Path = field(default_factory=lambda: ROOT / "forms")
    office_close: str = "17:30"  # deadlines end at this time of their last working day (Asia/Shanghai)
    var_dir: Path = field(default_factory=lambda: ROOT / "var")
    run_background: bool = True  # scheduler and in-process workers inside `relief serve`
    # Data keys sealing personal data at rest (engine.crypto): RELIEF_DATA_KEY or
    # RELIEF_DATA_KEY_FILE; outside production generated into var/data_keys.
    keyring: Keyring | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """RELIEF_DATABASE_URL, RELIEF_MODE, RELIEF_SECRET_KEY, RELIEF_DATA_KEY(_FILE), RELIEF_VAR_DIR,
        RELIEF_FORMS_ROOT."""
        s = cls()
        s.var_dir = Path(os.environ.get("RELIEF_VAR_DIR", s.var_dir))
        s.mode = os.environ.get("RELIEF_MODE", s.mode)
        s.database_url = os.environ.get("RELIEF_DATABASE_URL", "")
        s.secret_key = os.environ.get("RELIEF_SECRET_KEY", "")
        s.forms_root = Path(os.environ.get("RELIEF_FORMS_ROOT", s.forms_root))
        s.office_close = os.environ.get("RELIEF_OFFICE_CLOSE", s.office_close)
        for key, value in overrides.items():
            setattr(s, key, value)
        if s.mode not in MODES:
            raise ValueError(f"RELIEF_MODE must be one of {', '.join(MODES)}, not '{s.mode}'")
        if not s.database_url:
            s.var_dir.mkdir(parents=True, exist_ok=True)
            s.database_url = f"sqlite:///{s.var_dir / 'relief.sqlite'}"
        if not s.secret_key:
            if s.mode == "production":
                raise ValueError("RELIEF_SECRET_KEY must be set in production mode")
            s.secret_key = _local_secret(s.var_dir)
        if s.keyring is None:
            configured = keys.configured_text()
            if configured is None and s.mode == "production":
                raise ValueError(f"{keys.KEY_ENV} or {keys.KEY_FILE_ENV} must be set in production mode "
                                 "(docs/security.md: key custody)")
            if configured is None:
                path = keys.local_key_file(s.var_dir)
                configured = (path.read_text("utf-8"), str(path))
            s.keyring = keys.Keyring.parse(*configured)
        return s


def _local_secret(var_dir: Path) -> str:
    """A per-installation random key for demo and test mode, kept in var/."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
