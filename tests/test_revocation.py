"""Server-side revocation: logout ends the login everywhere; a deleted session's participant tokens are dead."""
from __future__ import annotations

import pytest

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



def _facilitator_socket_then_logout(app, facilitator, make_session, server):
    """A facilitator's board socket opened with a login cookie; then that login ends (logout)."""
    from live_server import WsClient

    sid, _code = make_session(facilitator, formula="ontwerp", with_cards=True)
    c = http_client(app)
    login(c)
    socket = WsClient(server.ws_url(sid), session_cookie(c))
    assert c.post("/logout").status_code == 302
    return sid, socket


def test_a_facilitator_socket_opened_before_logout_may_no_longer_change_the_board(app, facilitator, make_session):
    from sqlalchemy import select
    from websockets.exceptions import ConnectionClosed
    from workshop.db import db
    from workshop.models import Card

    with LiveServer(app) as server:
        sid, socket = _facilitator_socket_then_logout(app, facilitator, make_session, server)
        with app.app_context():
            card_id = db.session.scalars(select(Card.id).where(Card.session_id == sid)).first()
            db.session.remove()
        assert card_id is not None
        with socket:
            err = socket.reply_to(socket.op("card.delete", id=card_id))
            assert err["type"] == "error" and err["code"] == "logged_out"
            with pytest.raises(ConnectionClosed) as exc:
                socket.wait_for(lambda f: False, timeout=10)
            assert exc.value.rcvd.code == 4403
        with app.app_context():
            assert db.session.get(Card, card_id) is not None  # the card survived
            db.session.remove()


def test_an_idle_facilitator_socket_is_closed_after_logout(app, facilitator, make_session):
    from websockets.exceptions import ConnectionClosed

    app.config["WS_PING_INTERVAL"] = 0.5  # an idle check every half second
    with LiveServer(app) as server:
        _sid, socket = _facilitator_socket_then_logout(app, facilitator, make_session, server)
        with socket, pytest.raises(ConnectionClosed) as exc:
            socket.wait_for(lambda f: False, timeout=10)  # no operation: only the idle check can close it
        assert exc.value.rcvd.code == 4403
        assert any(f.get("code") == "logged_out" for f in socket.frames)


def test_the_socket_of_a_login_that_lasts_keeps_working(app, facilitator, make_session):
    from live_server import WsClient

    app.config["WS_PING_INTERVAL"] = 0.5
    sid, _code = make_session(facilitator, formula="ontwerp")
    with LiveServer(app) as server:
        c = http_client(app)
        login(c)
        with WsClient(server.ws_url(sid), session_cookie(c)) as socket:
            import time
            time.sleep(1.2)  # a few idle checks
            socket.apply("session.settings", locked=True)
