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
