"""Configuration read from the environment (twelve-factor style)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, or one kept in the instance folder.

    A key generated per process would log everyone out on restart and break
    sessions across gunicorn workers, so the fallback is persisted.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Config:
    DATABASE_URL: str | None = None
    REDIS_URL: str | None = None
    BABEL_DEFAULT_LOCALE = "nl"
    LANGUAGES = ("nl", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a half-day session outlives the default hour
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    # websocket limits
    WS_MAX_MESSAGE_SIZE = 16 * 1024
    WS_PING_INTERVAL = 25
    # seconds an out-of-order event waits for the ones before it (see docs/protocol.md)
    WS_REORDER_WAIT = 0.2
    # seconds presence changes of one session are gathered before they are sent (the first goes at once)
    WS_PRESENCE_DELAY = 0.1
    WS_ALLOWED_ORIGINS: tuple[str, ...] = ()
    # participants' names are anonymised this many days after a session closes
    RETENTION_DAYS = 90
    # number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none)
    TRUST_PROXY = 0
    RATELIMIT_ENABLED = True
    # browser registration after the first account (ALLOW_REGISTRATION=1)
    ALLOW_REGISTRATION = False

    @classmethod
    def from_env(cls, instance_path: str) -> dict:
        conf = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        url = os.environ.get("DATABASE_URL") or (
            "sqlite:///" + str(Path(instance_path) / "workshop.sqlite3")
        )
        conf["DATABASE_URL"] = normalise_database_url(url)
        conf["REDIS_URL"] = os.environ.get("REDIS_URL") or None
        conf["SECRET_KEY"] = _secret_key(instance_path)
        origins = os.environ.get("WS_ALLOWED_ORIGINS", "")
        conf["WS_ALLOWED_ORIGINS"] = tuple(o.strip() for o in origins.split(",") if o.strip())
        if os.environ.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true", "yes"):
            conf["SESSION_COOKIE_SECURE"] = True
            conf["REMEMBER_COOKIE_SECURE"] = True
        if os.environ.get("TRUST_PROXY", "").isdigit():
            conf["TRUST_PROXY"] = int(os.environ["TRUST_PROXY"])
        if os.environ.get("ALLOW_REGISTRATION") == "1":
            conf["ALLOW_REGISTRATION"] = True
        if os.environ.get("RETENTION_DAYS"):
            conf["RETENTION_DAYS"] = int(os.environ["RETENTION_DAYS"])
        return conf
