"""Server-side revocation: logout ends the login everywhere; a deleted session's participant tokens are dead."""
from __future__ import annotations

from conftest import PASSWORD, join, login
from live_server import LiveServer, http_client, session_cookie


def copy_of(app, client):
    """Another browser holding a copy of this client's cookies."""
    thief = http_client(app)
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_cookie_copied_before_logout_no_longer_opens_the_dashboard(app, facilitator):
    c = http_client(app)
    login(c)
    thief = copy_of(app, c)
    assert thief.get("/dashboard").status_code == 200  # the copy works while the login lasts
    c.post("/logout")
    res = thief.get("/dashboard")
    assert res.status_code == 302 and "/login" in res.headers["Location"]
    assert c.get("/dashboard").status_code == 302


def test_a_remember_me_cookie_dies_with_the_logout_too(app, facilitator):
    c = http_client(app)
    res = c.post("/login", data={"email": "fien@gemeente.nl", "password": PASSWORD, "remember": "y"})
    assert res.status_code == 302
    remember = c.get_cookie("remember_token")
    assert remember is not None
    c.post("/logout")
    other = http_client(app)
    other.set_cookie("remember_token", remember.value)
    assert other.get("/dashboard").status_code == 302


def test_logging_in_again_works_and_other_accounts_stay_logged_in(app, facilitator, make_facilitator):
    make_facilitator(email="tom@gemeente.nl", name="Tom")
    fien, tom = http_client(app), http_client(app)
    login(fien)
    login(tom, email="tom@gemeente.nl")
    fien.post("/logout")
    assert tom.get("/dashboard").status_code == 200
    login(fien)
    assert fien.get("/dashboard").status_code == 200


def test_participant_tokens_die_with_their_session(app, facilitator, make_session):
    sid, code = make_session(facilitator)
    piet = http_client(app)
    join(piet, code, "Piet")
    assert piet.get(f"/s/{sid}").status_code == 200
    fac = http_client(app)
    login(fac)
    assert fac.post(f"/sessions/{sid}/delete").status_code == 302
    missing = piet.get("/s/999999")
    for url in (f"/s/{sid}", f"/api/sessions/{sid}"):
        res = piet.get(url)
        assert res.status_code == missing.status_code == 404
    with LiveServer(app) as server:
        from websockets.exceptions import InvalidStatus
        from websockets.sync.client import connect
        try:
            connect(server.ws_url(sid), additional_headers={"Cookie": session_cookie(piet)}, open_timeout=5)
        except InvalidStatus as err:
            assert err.response.status_code == 404
        else:  # pragma: no cover - the upgrade must be refused
            raise AssertionError("the websocket of a deleted session was accepted")
