"""Every setting is declared once in workshop/config.py, read from there, and documented in the README."""
from __future__ import annotations

import re
from pathlib import Path

from workshop.config import SERVER_SETTINGS, SETTINGS, from_env, server_settings, settings_table

ROOT = Path(__file__).resolve().parent.parent
# keys that belong to Flask and its extensions, set or read by them, not by our settings
FRAMEWORK_KEYS = {"TESTING", "SERVER_NAME", "SOCK_SERVER_OPTIONS", "BABEL_TRANSLATION_DIRECTORIES",
                  "WTF_CSRF_ENABLED", "REMEMBER_COOKIE_SECURE", "PROPAGATE_EXCEPTIONS"}


def test_readme_settings_table_is_the_declared_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- settings: python -m workshop.config -->\n(.*?)<!-- /settings -->", readme, re.S)
    assert block, "the README lost its settings table markers"
    assert block.group(1) == settings_table(), "run `python -m workshop.config` and paste it into the README"


def test_every_setting_the_code_reads_is_declared():
    declared = {s.name for s in (*SETTINGS, *SERVER_SETTINGS)}
    names = [s.name for s in (*SETTINGS, *SERVER_SETTINGS)]
    assert len(names) == len(set(names)), "a setting is declared twice"
    read = set()
    for path in (ROOT / "workshop").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r'config(?:\.get|\.setdefault)?[\[(]\s*"([A-Z][A-Z0-9_]+)"', text))
        read |= set(re.findall(r'_settings\["([A-Z][A-Z0-9_]+)"\]', text))
        if path.name != "config.py":
            assert not re.search(r"os\.environ|os\.getenv", text), f"{path} reads the environment itself"
    assert read - FRAMEWORK_KEYS <= declared, sorted(read - FRAMEWORK_KEYS - declared)
    assert {"WS_OPS_BURST", "LIVE_NAMESPACE", "WS_CATCHUP_MAX", "BIND"} <= read  # the scan sees them


def test_environment_overrides_and_defaults(tmp_path):
    env = {"WS_OPS_BURST": "5", "SESSION_COOKIE_SECURE": "1", "WS_ALLOWED_ORIGINS": "https://a.nl, https://b.nl",
           "REDIS_URL": "", "DATABASE_URL": "postgres://u@h/db", "LIVE_NAMESPACE": "gemeente-x"}
    conf = from_env(str(tmp_path), env)
    assert conf["WS_OPS_BURST"] == 5 and conf["SESSION_COOKIE_SECURE"] is True
    assert conf["WS_ALLOWED_ORIGINS"] == ("https://a.nl", "https://b.nl")
    assert conf["REDIS_URL"] is None and conf["DATABASE_URL"] == "postgresql+psycopg://u@h/db"
    assert conf["LIVE_NAMESPACE"] == "gemeente-x" and conf["RETENTION_DAYS"] == 90
    assert conf["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()  # kept for the next start
    assert from_env(str(tmp_path), {})["SECRET_KEY"] == conf["SECRET_KEY"]
    assert server_settings({})["BIND"] == "127.0.0.1:8000"
    assert server_settings({"WEB_CONCURRENCY": "2"})["WEB_CONCURRENCY"] == 2


def test_derived_settings_follow_the_frame_limit(app):
    from workshop import create_app

    assert app.config["WS_HARD_MESSAGE_SIZE"] == 256 * 1024
    big = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "x",
                      "WS_MAX_MESSAGE_SIZE": 100_000})
    assert big.config["WS_HARD_MESSAGE_SIZE"] == 400_000


def test_instance_path_is_configurable(tmp_path, db_path, monkeypatch):
    from workshop import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{db_path}", "INSTANCE_PATH": str(tmp_path / "inst")})
    assert app.instance_path == str(tmp_path / "inst") and (tmp_path / "inst" / "secret_key").is_file()
