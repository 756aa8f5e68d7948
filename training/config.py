"""Configuration from environment variables only (DESIGN.md §4)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def _secret_key(instance_path: Path) -> str:
    """``SECRET_KEY`` from the environment, else one generated once into ``instance/secret_key``."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` and ``postgres://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(url: str) -> dict[str, Any]:
    """Per-database engine options: PostgreSQL pings pooled connections; SQLite waits on locks."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True, "pool_size": int(os.environ.get("DB_POOL_SIZE", "10")),
            "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "20"))}


def load_config(instance_path: Path) -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    env = os.environ
    database_url = normalise_database_url(
        env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'egov.sqlite3'}"
    )
    redis_url = env.get("REDIS_URL", "")
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "20 per minute;200 per hour"),
        "LOCKOUT_THRESHOLD": int(env.get("LOCKOUT_THRESHOLD", "10")),
        "LOCKOUT_MINUTES": int(env.get("LOCKOUT_MINUTES", "15")),
        "SINGLE_SESSION_LOGIN": env.get("SINGLE_SESSION_LOGIN", "1") == "1",
        "PASSWORD_MIN_LENGTH": 12,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "") == "1",
        "SESSION_COOKIE_NAME": "egov_session",
        "PERMANENT_SESSION_LIFETIME": int(env.get("SESSION_HOURS", "12")) * 3600,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "BEHIND_PROXY": env.get("BEHIND_PROXY", "") == "1",
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", ""),
        "DUPLICATE_THRESHOLD": float(env.get("DUPLICATE_THRESHOLD", "0.8")),
        "STUDY_HEARTBEAT_SECONDS": int(env.get("STUDY_HEARTBEAT_SECONDS", "30")),
        "STUDY_IDLE_SECONDS": int(env.get("STUDY_IDLE_SECONDS", "300")),
        # Beats closer together than this are not accepted (the benchmark sets 0 to force the write path).
        "STUDY_MIN_BEAT_SECONDS": int(env.get("STUDY_MIN_BEAT_SECONDS", "5")),
        # Public certificate verification, per client address (against enumerating codes).
        "VERIFY_RATE_LIMIT": env.get("VERIFY_RATE_LIMIT", "30 per minute;300 per hour"),
        # Notification e-mail: off unless MAIL_SERVER is set (`flask certification mail` delivers).
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "") == "1",
        "MAIL_USE_SSL": env.get("MAIL_USE_SSL", "") == "1",
        "MAIL_FROM": env.get("MAIL_FROM", "egov-academy@localhost"),
    }
