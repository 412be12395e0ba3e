"""Configuration from the environment; nothing is read at import time."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from engine.crypto import keys
from engine.crypto.keys import Keyring
from engine.materials.s3 import S3Location

ROOT = Path(__file__).resolve().parent.parent
MODES = ("production", "demo", "test")


class ConfigurationError(ValueError):
    """A setting is missing or wrong: the `relief` command prints it as one line."""


@dataclass
class Settings:
    database_url: str = ""
    database_read_url: str = ""  # a PostgreSQL read replica for GET requests (docs/deploy.md)
    read_your_writes_seconds: int = 10  # after a write, that caller's reads stay on the primary this long
    mode: str = "production"
    secret_key: str = ""
    workflows_root: Path = field(default_factory=lambda: ROOT / "workflows")
    forms_root: Path = field(default_factory=lambda: ROOT / "forms")
    office_close: str = "17:30"  # deadlines end at this time of their last working day (Asia/Shanghai)
    var_dir: Path = field(default_factory=lambda: ROOT / "var")
    run_background: bool = True  # scheduler and in-process workers inside `relief serve`
    default_region: str | None = None  # GB/T 2260 code of cases whose starter names none (12345 tickets)
    # Session cookies only over HTTPS: on by default in production (None), where pages
    # are served behind HTTPS; RELIEF_COOKIE_SECURE=0 for a plain-HTTP intranet.
    cookie_secure: bool | None = None
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-For/-Proto count
    login_rate: str = "30 per minute"  # failed sign-in requests per client address (web and token)
    ratelimit_storage: str = "memory://"  # Flask-Limiter storage; the lockout itself is in the database
    portal_rate: str = "20 per minute"  # POSTs to the public portal (apply, progress, rating) per address
    max_instances: int = 1000  # ceiling of one multi-instance activity's instances
    files_dir: Path | None = None  # uploaded materials, by SHA-256; None: var_dir / "files"
    # Uploaded materials in an S3-compatible bucket instead of files_dir (RELIEF_MATERIALS_S3_*).
    materials_s3: S3Location | None = None
    max_material_bytes: int = 10 * 1024 * 1024  # one uploaded material at most
    materials_checklist: Path = field(default_factory=lambda: ROOT / "materials" / "checklist.json")
    notices_root: Path = field(default_factory=lambda: ROOT / "notices")  # the county's notice templates
    # Data keys sealing personal data at rest (engine.crypto): RELIEF_DATA_KEY or
    # RELIEF_DATA_KEY_FILE; outside production generated into var/data_keys.
    keyring: Keyring | None = None
    # `relief demo` only: a stand-in SMS operator inside the app (api/demo_phone.py) whose
    # "phone" page shows the texts applicants would receive; refused in production.
    demo_phone: bool = False

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """RELIEF_DATABASE_URL, RELIEF_DATABASE_READ_URL, RELIEF_READ_YOUR_WRITES_SECONDS,
        RELIEF_MODE, RELIEF_SECRET_KEY, RELIEF_DATA_KEY(_FILE), RELIEF_VAR_DIR,
        RELIEF_FORMS_ROOT, RELIEF_OFFICE_CLOSE, RELIEF_DEFAULT_REGION, RELIEF_COOKIE_SECURE, RELIEF_TRUSTED_PROXIES,
        RELIEF_LOGIN_RATE, RELIEF_RATELIMIT_STORAGE, RELIEF_PORTAL_RATE, RELIEF_MAX_INSTANCES,
        RELIEF_FILES_DIR, RELIEF_MATERIALS_S3_* (materials_s3_from_env), RELIEF_MAX_MATERIAL_BYTES,
        RELIEF_MATERIALS_CHECKLIST, RELIEF_NOTICES_ROOT, RELIEF_DEMO_PHONE."""
        s = cls()
        s.var_dir = Path(os.environ.get("RELIEF_VAR_DIR", s.var_dir))
        s.mode = os.environ.get("RELIEF_MODE", s.mode)
        s.database_url = os.environ.get("RELIEF_DATABASE_URL", "")
        s.database_read_url = os.environ.get("RELIEF_DATABASE_READ_URL", "")
        s.read_your_writes_seconds = _int_env("RELIEF_READ_YOUR_WRITES_SECONDS", s.read_your_writes_seconds)
        s.secret_key = os.environ.get("RELIEF_SECRET_KEY", "")
        s.forms_root = Path(os.environ.get("RELIEF_FORMS_ROOT", s.forms_root))
        s.office_close = os.environ.get("RELIEF_OFFICE_CLOSE", s.office_close)
        s.default_region = os.environ.get("RELIEF_DEFAULT_REGION") or None
        if (secure := os.environ.get("RELIEF_COOKIE_SECURE", "").strip().lower()) in ("1", "true", "yes"):
            s.cookie_secure = True
        elif secure in ("0", "false", "no"):
            s.cookie_secure = False
        s.trusted_proxies = _int_env("RELIEF_TRUSTED_PROXIES", s.trusted_proxies)
        s.login_rate = os.environ.get("RELIEF_LOGIN_RATE", s.login_rate)
        s.ratelimit_storage = os.environ.get("RELIEF_RATELIMIT_STORAGE", s.ratelimit_storage)
        s.portal_rate = os.environ.get("RELIEF_PORTAL_RATE", s.portal_rate)
        ceiling = os.environ.get("RELIEF_MAX_INSTANCES", str(s.max_instances))
        if not ceiling.isdigit() or int(ceiling) < 1:
            raise ConfigurationError(f"RELIEF_MAX_INSTANCES must be a whole number of at least 1, not '{ceiling}'")
        s.max_instances = int(ceiling)
        if files := os.environ.get("RELIEF_FILES_DIR"):
            s.files_dir = Path(files)
        s.materials_s3 = materials_s3_from_env()
        s.max_material_bytes = _int_env("RELIEF_MAX_MATERIAL_BYTES", s.max_material_bytes)
        s.materials_checklist = Path(os.environ.get("RELIEF_MATERIALS_CHECKLIST", s.materials_checklist))
        s.notices_root = Path(os.environ.get("RELIEF_NOTICES_ROOT", s.notices_root))
        s.demo_phone = os.environ.get("RELIEF_DEMO_PHONE", "").strip().lower() in ("1", "true", "yes")
        for key, value in overrides.items():
            setattr(s, key, value)
        if s.mode not in MODES:
            raise ConfigurationError(f"RELIEF_MODE must be one of {', '.join(MODES)}, not '{s.mode}'")
        if s.demo_phone and s.mode == "production":
            raise ConfigurationError("RELIEF_DEMO_PHONE shows every applicant's texts: it is for demo mode only")
        if s.files_dir is None:
            s.files_dir = s.var_dir / "files"
        if not s.database_url:
            s.var_dir.mkdir(parents=True, exist_ok=True)
            s.database_url = f"sqlite:///{s.var_dir / 'relief.sqlite'}"
        # Production has no default key; only what signs or checks tokens needs it
        # (`require_secret`): `relief start`, `relief tasks` … work against the database alone.
        if not s.secret_key and s.mode != "production":
            s.secret_key = _local_secret(s.var_dir)
        if s.keyring is None:
            configured = keys.configured_text()
            own_file = s.var_dir / "data_keys"
            # Production never makes a key up; it takes the one configured, or the key file this
            # installation already has (`relief demo` made it: the CLI beside a demo server).
            if configured is None and s.mode == "production" and not own_file.exists():
                raise ConfigurationError(f"{keys.KEY_ENV} or {keys.KEY_FILE_ENV} must be set in production mode "
                                         "(docs/security.md: key custody)")
            if configured is None:
                path = keys.local_key_file(s.var_dir)
                configured = (path.read_text("utf-8"), str(path))
            s.keyring = keys.Keyring.parse(*configured)
        return s

    def require_secret(self) -> str:
        """The key that signs bearer tokens; production mode must be given one."""
        if not self.secret_key:
            raise ConfigurationError("RELIEF_SECRET_KEY must be set in production mode (it signs bearer tokens)")
        return self.secret_key


S3_ENV = "RELIEF_MATERIALS_S3_"


def materials_s3_from_env() -> S3Location | None:
    """The S3-compatible store of uploaded materials, when RELIEF_MATERIALS_S3_BUCKET names a
    bucket: RELIEF_MATERIALS_S3_ENDPOINT (e.g. http://minio:9000; unset: AWS itself), _REGION,
    _PREFIX (`materials/`), _ACCESS_KEY_ID with _SECRET_ACCESS_KEY (unset: boto3's own chain)."""
    def env(name: str) -> str | None:
        return os.environ.get(S3_ENV + name, "").strip() or None

    bucket = env("BUCKET")
    if bucket is None:
        others = [S3_ENV + n for n in ("ENDPOINT", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "PREFIX") if env(n)]
        if others:
            # Half a configuration would silently keep files on this machine's disk.
            raise ConfigurationError(f"{others[0]} is set but {S3_ENV}BUCKET is not")
        return None
    key_id, secret = env("ACCESS_KEY_ID"), env("SECRET_ACCESS_KEY")
    if (key_id is None) != (secret is None):
        missing = "SECRET_ACCESS_KEY" if secret is None else "ACCESS_KEY_ID"
        raise ConfigurationError(f"{S3_ENV}{missing} must be set with the other S3 credential")
    endpoint = env("ENDPOINT")
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise ConfigurationError(f"{S3_ENV}ENDPOINT must be an http:// or https:// URL, not '{endpoint}'")
    prefix = env("PREFIX") or "materials/"
    return S3Location(bucket=bucket, endpoint=endpoint, prefix=prefix if prefix.endswith("/") else prefix + "/",
                      region=env("REGION"), access_key_id=key_id, secret_access_key=secret)


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ConfigurationError(f"{name} must be a whole number, not '{value}'")
    return int(value)


def _local_secret(var_dir: Path) -> str:
    """A per-installation random key for demo and test mode, kept in var/."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
