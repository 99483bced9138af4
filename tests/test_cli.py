"""The `workshop` command on a fresh database, as a newcomer runs it."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "workshop"


def run(args, env, input=None):
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, input=input, timeout=120)


def test_cli_from_empty_database(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "SECRET_KEY": "x"}
    assert run(["db", "upgrade"], env).returncode == 0
    first = run(["seed"], env)
    assert first.returncode == 0 and "library: 78 created" in first.stdout
    second = run(["seed"], env)
    assert "library: 0 created, 0 updated, 78 unchanged" in second.stdout
    res = run(["session", "create", "--title", "X"], env)
    assert res.returncode != 0 and "facilitator" in res.stderr
    res = run(["facilitator", "create", "fien@gemeente.nl", "--name", "Fien"], env,
              input="een-lang-wachtwoord\neen-lang-wachtwoord\n")
    assert res.returncode == 0, res.stderr
    res = run(["session", "create", "--title", "Bijzondere bijstand", "--formula", "Flits", "--with-cards"], env)
    assert res.returncode == 0, res.stderr
    assert re.search(r"^id: \d+$", res.stdout, re.M)
    assert re.search(r"^join code: [A-Z0-9]{3}-[A-Z0-9]{3}$", res.stdout, re.M)
    res = run(["session", "create", "--title", "X", "--formula", "Onbekend"], env)
    assert res.returncode != 0 and "unknown formula" in res.stderr


def test_serve_production_hands_over_to_gunicorn_with_the_packaged_settings(monkeypatch):
    from click.testing import CliRunner

    from workshop import cli

    calls = []
    monkeypatch.setattr(os, "execv", lambda path, argv: calls.append(argv))
    res = CliRunner().invoke(cli.main, ["serve", "--production", "--bind", "127.0.0.1:9000", "--workers", "2"])
    assert res.exit_code == 0, res.output
    (argv,) = calls
    assert argv[:5] == [sys.executable, "-m", "gunicorn", "-c", "python:workshop.gunicorn_conf"]
    assert argv[5:] == ["--bind", "127.0.0.1:9000", "--workers", "2", "workshop.wsgi:app"]
    res = CliRunner().invoke(cli.main, ["serve", "--workers", "2"])
    assert res.exit_code != 0 and "--production" in res.output


def test_packaged_gunicorn_settings_listen_on_localhost_by_default(monkeypatch):
    import importlib

    monkeypatch.delenv("BIND", raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    import workshop.gunicorn_conf as conf

    conf = importlib.reload(conf)
    assert conf.bind == "127.0.0.1:8000" and conf.workers == 3 and conf.worker_class == "gevent"
    assert conf.preload_app is False and conf.control_socket_disable is True
