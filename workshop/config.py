"""Every setting the app and its server read: declared once here, with its default and meaning.

Settings with a parser are read from the environment variable of the same name
(twelve-factor style); the others are fixed in code and only tests override them
(through ``create_app(test_config)``). ``SERVER_SETTINGS`` are read by the
gunicorn configuration (``workshop/gunicorn_conf.py``), not by the app. The
README's settings table is checked against these lists by tests/test_config.py.

This module imports nothing heavy: gunicorn's arbiter imports it before gevent
patches the standard library in the workers.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def comma_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def optional_text(value: str) -> str | None:
    return value or None


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    meaning: str
    parse: Callable[[str], Any] | None = None  # None: fixed in code, not read from the environment
    shown_default: str | None = None  # the default as the README states it, when it is computed

    @property
    def from_env(self) -> bool:
        return self.parse is not None


MIB = 1024 * 1024

SETTINGS: tuple[Setting, ...] = (
    # where data lives
    Setting("DATABASE_URL", None, "SQLAlchemy URL (`postgresql://…` or `sqlite:///…`)",
            normalise_database_url, "an SQLite file in the instance folder (WAL mode)"),
    Setting("REDIS_URL", None, "live updates, presence and rate limits shared by all processes through Redis; "
            "required with more than one worker or host", optional_text, "none: in-process"),
    Setting("LIVE_NAMESPACE", "workshop", "prefix of the Redis pub/sub channels and presence keys; "
            "set it when several installations share one Redis", str),
    Setting("INSTANCE_PATH", None, "writable folder for the fallback `secret_key` and the default SQLite file "
            "(absolute path)", str, "`instance/` in a checkout, `<venv>/var/workshop-instance` when installed"),
    # security
    Setting("SECRET_KEY", None, "signs cookies and participant tokens; the same in every process", str,
            "generated once and kept in the instance folder (`secret_key`)"),
    Setting("SESSION_COOKIE_SECURE", False, "`1` behind TLS: cookies travel over HTTPS only", flag),
    Setting("TRUST_PROXY", 0, "number of reverse proxies whose X-Forwarded-For/-Proto/-Host are trusted", int),
    Setting("WS_ALLOWED_ORIGINS", (), "extra origins allowed to open websockets (comma-separated); "
            "the same origin always is", comma_list, "none"),
    Setting("ALLOW_REGISTRATION", False, "`1` keeps browser registration open after the first account", flag),
    Setting("RATELIMIT_ENABLED", True, "`0` switches off the limits on failed logins and unknown join codes", flag),
    Setting("RATELIMIT_STORAGE_URL", None, "Redis URL for the rate-limit counters", optional_text,
            "`REDIS_URL`, else in-process"),
    Setting("RATELIMIT_KEY_PREFIX", "workshop:ratelimit:", "prefix of the rate-limit keys in Redis", str),
    Setting("RATELIMITS", {}, "per-scope overrides `{scope: (attempts, seconds)}` of web/ratelimit.py's limits"),
    Setting("MAX_CONTENT_LENGTH", 5 * MIB, "largest HTTP request body in bytes (JSON import included)", int,
            "`5242880` (5 MiB)"),
    Setting("REQUEST_BODY_TIMEOUT", 10.0, "seconds a client has to send a whole request body (read before any "
            "transaction starts); a slower one gets 408 and its connection is closed", float),
    Setting("WTF_CSRF_TIME_LIMIT", None, "CSRF tokens do not expire: a half-day session outlives the default hour"),
    # privacy
    Setting("RETENTION_DAYS", 90, "days after closing when a session's participant names are anonymised", int),
    # the live board (docs/protocol.md)
    Setting("WS_MAX_MESSAGE_SIZE", 16 * 1024, "largest websocket frame in bytes; a larger one gets a `too_large` "
            "error frame", int),
    Setting("WS_HARD_MESSAGE_SIZE", None, "frames over this are not read at all: the connection closes with 1009",
            int, "4 × `WS_MAX_MESSAGE_SIZE`, at least 256 KiB"),
    Setting("WS_PING_INTERVAL", 25.0, "seconds between the server's pings on an idle websocket", float),
    Setting("WS_REORDER_WAIT", 0.2, "seconds an out-of-order event waits for the ones before it", float),
    Setting("WS_PRESENCE_DELAY", 0.1, "seconds presence changes of one session are gathered before they are sent "
            "(the first goes at once)", float),
    Setting("WS_CATCHUP_MAX", 500, "most events replayed to a reconnecting client; further behind gets a snapshot",
            int),
    Setting("WS_OUTBOX_SIZE", 1000, "frames queued for one slow client before it is disconnected", int),
    Setting("WS_OPS_PER_SECOND", 20.0, "operations per second one connection may send on average", float),
    Setting("WS_OPS_BURST", 60, "operations one connection may send at once", int),
    Setting("WS_PERMESSAGE_DEFLATE", False, "`1` accepts permessage-deflate (costs CPU per client; off by default)",
            flag),
    Setting("WS_WRITER_LOCK", True, "one writer per session inside a process, which applies the operations that "
            "queued up for it in one transaction (group commit; `0`: each operation on its own)", flag),
    # language and cookies, fixed
    Setting("BABEL_DEFAULT_LOCALE", "nl", "the interface language unless `?lang=`/the `lang` cookie says otherwise"),
    Setting("LANGUAGES", ("nl", "en"), "languages a user may choose"),
    Setting("SESSION_COOKIE_HTTPONLY", True, "scripts cannot read the session cookie"),
    Setting("SESSION_COOKIE_SAMESITE", "Lax", "the session cookie is not sent on cross-site POSTs"),
    Setting("REMEMBER_COOKIE_HTTPONLY", True, "scripts cannot read the remember-me cookie"),
    Setting("REMEMBER_COOKIE_SAMESITE", "Lax", "the remember-me cookie is not sent on cross-site POSTs"),
)

# Read by workshop/gunicorn_conf.py (``workshop serve --production``).
SERVER_SETTINGS: tuple[Setting, ...] = (
    Setting("BIND", "127.0.0.1:8000", "address gunicorn listens on (a reverse proxy in front)", str),
    Setting("WEB_CONCURRENCY", 1, "gunicorn worker processes: 1 on SQLite, one per core with PostgreSQL + "
            "`REDIS_URL`", int),
    Setting("WORKER_CONNECTIONS", 2000, "simultaneous connections (websockets included) per worker", int),
    Setting("KEEPALIVE", 5, "seconds gunicorn waits for a request line and its headers (also on keep-alive); "
            "a slow-loris client is dropped after it; never 0", int),
    Setting("GUNICORN_TIMEOUT", 30, "seconds before a worker whose loop is blocked is restarted", int),
    Setting("ACCESS_LOG", None, "file for the access log (`-`: standard output); none by default", optional_text,
            "none"),
    Setting("LOG_LEVEL", "info", "gunicorn's log level", str),
    Setting("FORWARDED_ALLOW_IPS", "127.0.0.1", "addresses whose X-Forwarded-* headers gunicorn trusts", str),
)


def _read(settings: tuple[Setting, ...], environ) -> dict:
    conf = {}
    for s in settings:
        raw = environ.get(s.name, "") if s.from_env else ""
        conf[s.name] = s.parse(raw) if raw != "" else s.default
    return conf


def _secret_key(instance_path: str) -> str:
    """A key kept in the instance folder when SECRET_KEY is not set.

    A key generated per process would log everyone out on restart and break
    sessions across gunicorn workers, so the fallback is persisted.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def from_env(instance_path: str, environ=os.environ) -> dict:
    """The app's configuration: SETTINGS read from the environment, defaults filled in."""
    conf = _read(SETTINGS, environ)
    conf["DATABASE_URL"] = conf["DATABASE_URL"] or normalise_database_url(
        "sqlite:///" + str(Path(instance_path) / "workshop.sqlite3"))
    conf["SECRET_KEY"] = conf["SECRET_KEY"] or _secret_key(instance_path)
    conf["RATELIMITS"] = dict(conf["RATELIMITS"])  # never share the declared default
    return conf


def instance_path(test_config: dict | None = None, environ=os.environ) -> str | None:
    """INSTANCE_PATH, which Flask needs before the rest of the configuration is read (None: Flask's default)."""
    chosen = (test_config or {}).get("INSTANCE_PATH") or environ.get("INSTANCE_PATH") or None
    return os.path.abspath(chosen) if chosen else None


def derive(conf) -> None:
    """Fill in the settings whose default depends on others (after tests' overrides)."""
    conf["DATABASE_URL"] = normalise_database_url(conf["DATABASE_URL"])
    conf["REMEMBER_COOKIE_SECURE"] = bool(conf.get("SESSION_COOKIE_SECURE"))
    if conf.get("WS_HARD_MESSAGE_SIZE") is None:
        conf["WS_HARD_MESSAGE_SIZE"] = max(4 * int(conf["WS_MAX_MESSAGE_SIZE"]), 256 * 1024)


def server_settings(environ=os.environ) -> dict:
    return _read(SERVER_SETTINGS, environ)


def _shown(s: Setting) -> str:
    if s.shown_default is not None:
        return s.shown_default
    value = s.default
    if isinstance(value, bool):
        return "`1`" if value else "`0`"
    if value is None:
        return "none"
    return f"`{value}`"


def settings_table() -> str:
    """The README's settings table (``python -m workshop.config`` prints it; tests/test_config.py checks it)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for s in (*SETTINGS, *SERVER_SETTINGS):
        if s.from_env:
            rows.append(f"| `{s.name}` | {_shown(s)} | {s.meaning} |")
    fixed = ", ".join(f"`{s.name}`" for s in SETTINGS if not s.from_env)
    return "\n".join(rows) + f"\n\nFixed in code (tests override them): {fixed}.\n"


if __name__ == "__main__":
    print(settings_table(), end="")
