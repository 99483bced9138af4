"""Facilitator accounts: first registration in the browser, login, logout, hashing, CSRF."""
from __future__ import annotations

import re

from sqlalchemy import select

from conftest import PASSWORD, login
from workshop.models import Facilitator


def test_first_account_registers_in_browser_then_registration_closes(client, app):
    assert client.get("/register").status_code == 200
    res = client.post("/register", data={"name": "Anna", "email": "Anna@Gemeente.nl", "password": PASSWORD,
                                         "confirm": PASSWORD})
    assert res.status_code == 302 and res.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200
    other = app.test_client()
    res = other.get("/register")
    assert res.status_code == 302  # closed now: further accounts come from the CLI


def test_register_rejects_short_password_and_mismatch(client):
    res = client.post("/register", data={"name": "A", "email": "a@b.nl", "password": "kort", "confirm": "kort"})
    assert res.status_code == 400
    res = client.post("/register", data={"name": "A", "email": "a@b.nl", "password": PASSWORD, "confirm": "x" * 12})
    assert res.status_code == 400


def test_password_is_hashed_with_scrypt(db_session, facilitator):
    f = db_session.get(Facilitator, facilitator)
    assert f.password_hash.startswith("scrypt:") and PASSWORD not in f.password_hash


def test_login_and_logout(client, facilitator):
    assert client.get("/dashboard").status_code == 302  # to the login page
    res = client.post("/login", data={"email": "fien@gemeente.nl", "password": "wrong-password"})
    assert res.status_code == 400
    login(client)
    assert client.get("/dashboard").status_code == 200
    client.post("/logout")
    assert client.get("/dashboard").status_code == 302


def test_login_ignores_foreign_next_url(client, facilitator):
    res = client.post("/login?next=https://evil.example/", data={"email": "fien@gemeente.nl", "password": PASSWORD})
    assert res.headers["Location"] == "/dashboard"


def test_forms_need_a_csrf_token(csrf_app, facilitator):
    client = csrf_app.test_client()
    res = client.post("/login", data={"email": "fien@gemeente.nl", "password": PASSWORD})
    assert res.status_code == 400
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    res = client.post("/login", data={"email": "fien@gemeente.nl", "password": PASSWORD, "csrf_token": token})
    assert res.status_code == 302


def test_json_operations_need_a_csrf_token(csrf_app, facilitator):
    from workshop.db import db
    from workshop.sessions import create_session

    with csrf_app.app_context():
        ws = create_session(db.session, facilitator, title="T")
        db.session.commit()
        sid = ws.id
    client = csrf_app.test_client()
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": "fien@gemeente.nl", "password": PASSWORD, "csrf_token": token})
    op = {"type": "phase.add", "desired_name": "Aanvraag"}
    assert client.post(f"/api/sessions/{sid}/operations", json=op).status_code == 400
    board = client.get(f"/s/{sid}").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', board).group(1)
    res = client.post(f"/api/sessions/{sid}/operations", json=op, headers={"X-CSRFToken": token})
    assert res.status_code == 200, res.data


def test_cookies_are_httponly_and_samesite(client, facilitator):
    res = client.post("/login", data={"email": "fien@gemeente.nl", "password": PASSWORD})
    cookie = res.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "script-src 'self'" in res.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in res.headers["Content-Security-Policy"]
    _ = select  # keep import used
