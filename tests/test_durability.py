"""Durability: acknowledged operations survive SIGKILL; PostgreSQL connections recover by themselves.

The full crash test is ``bench/fault_bench.py`` (10 kills); here it runs with 3.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PASSWORD, login, make_test_app

ROOT = Path(__file__).resolve().parent.parent


def test_sqlite_is_in_wal_mode_with_a_busy_timeout(app):
    from workshop.db import db

    with app.app_context():
        conn = db.session.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.session.rollback()


def test_no_acknowledged_operation_is_lost_when_the_server_is_killed():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    res = subprocess.run([sys.executable, str(ROOT / "bench" / "fault_bench.py"), "--kills", "3", "--clients", "3"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    result = json.loads(res.stdout.strip().splitlines()[-1])
    assert result["kills"] == 3
    assert result["acked"] > 0, result
    assert result["lost"] == 0, result
    assert result["catchup_failures"] == 0, result
    assert res.returncode == 0, res.stderr[-2000:]


@pytest.mark.postgres
def test_postgres_recovers_from_terminated_connections_without_a_restart(pg_url):
    import psycopg

    from workshop.accounts import create_facilitator
    from workshop.db import db
    from workshop.migrate import upgrade
    from workshop.sessions import create_session

    upgrade(pg_url)
    app = make_test_app(pg_url)
    with app.app_context():
        fac = create_facilitator(db.session, "fien@gemeente.nl", PASSWORD, "Fien")
        ws = create_session(db.session, fac.id, title="Herstel")
        db.session.commit()
        sid = ws.id
        db.session.remove()
    client = app.test_client()
    login(client)
    assert client.get(f"/api/sessions/{sid}").status_code == 200  # the pool now holds connections

    name = pg_url.rsplit("/", 1)[1]
    admin_url = pg_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()[0]
        assert killed >= 1
        for _ in range(100):  # the backends have exited: their sockets are closed
            if not admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)).fetchone()[0]:
                break
            time.sleep(0.05)

    # the next requests (a read and a write) succeed on fresh connections
    assert client.get(f"/api/sessions/{sid}").status_code == 200
    res = client.post(f"/api/sessions/{sid}/operations",
                      json={"type": "phase.add", "desired_name": "Na de storing"})
    assert res.status_code == 200, res.get_json()
    phases = client.get(f"/api/sessions/{sid}").get_json()["phases"]
    assert any(p["desired_name"] == "Na de storing" for p in phases)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
