"""Configuration from the environment; nothing is read at import time."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

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
    max_instances: int = 1000  # ceiling of one multi-instance activity's instances

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """RELIEF_DATABASE_URL, RELIEF_MODE, RELIEF_SECRET_KEY, RELIEF_VAR_DIR, RELIEF_FORMS_ROOT,
        RELIEF_OFFICE_CLOSE, RELIEF_MAX_INSTANCES."""
        s = cls()
        s.var_dir = Path(os.environ.get("RELIEF_VAR_DIR", s.var_dir))
        s.mode = os.environ.get("RELIEF_MODE", s.mode)
        s.database_url = os.environ.get("RELIEF_DATABASE_URL", "")
        s.secret_key = os.environ.get("RELIEF_SECRET_KEY", "")
        s.forms_root = Path(os.environ.get("RELIEF_FORMS_ROOT", s.forms_root))
        s.office_close = os.environ.get("RELIEF_OFFICE_CLOSE", s.office_close)
        ceiling = os.environ.get("RELIEF_MAX_INSTANCES", str(s.max_instances))
        if not ceiling.isdigit() or int(ceiling) < 1:
            raise ValueError(f"RELIEF_MAX_INSTANCES must be a whole number of at least 1, not '{ceiling}'")
        s.max_instances = int(ceiling)
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
        return s


def _local_secret(var_dir: Path) -> str:
    """A per-installation random key for demo and test mode, kept in var/."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
