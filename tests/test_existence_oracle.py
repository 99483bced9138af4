"""No existence oracle: a stranger learns nothing about whether a session id exists.

Anonymous visitors, participants of another session and other facilitators get
the same status and body for an existing session as for a missing one, on
pages, the API and the websocket upgrade, and within noise the same timing.
"""
from __future__ import annotations

import statistics
import time

import pytest

from conftest import join, login
from live_server import LiveServer, http_client, session_cookie

MISSING = 987654


@pytest.fixture
def strangers(app, facilitator, make_facilitator, make_session):
    sid, _code = make_session(facilitator, title="Geheime sessie")
    _other_sid, other_code = make_session(facilitator, title="Andere sessie")
    participant = http_client(app)
    join(participant, other_code, "Vreemde")
    make_facilitator(email="tom@gemeente.nl", name="Tom")
    other_fac = http_client(app)
    login(other_fac, email="tom@gemeente.nl")
    return sid, {"anonymous": http_client(app), "participant of another session": participant,
                 "another facilitator": other_fac}


URLS = ["/s/{id}", "/s/{id}/plate", "/s/{id}/report", "/s/{id}/beamer", "/s/{id}/join-qr.svg",
        "/s/{id}/export.pdf", "/s/{id}/export.csv", "/s/{id}/export.json",
        "/sessions/{id}/save-template", "/api/sessions/{id}", "/api/library?session={id}"]


def session_urls(app) -> list[str]:
    """Every page and API route of one session that answers GET (new routes are covered by themselves)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.arguments == {"session_id"} and "GET" in rule.methods and not rule.websocket:
            urls.append(rule.rule.replace("<int:session_id>", "{id}"))
    return urls


def test_the_list_covers_every_session_route(app):
    assert set(session_urls(app)) <= set(URLS)


def answer(client, url: str, target: int):
    res = client.get(url.format(id=target))
    return res.status_code, res.headers.get("Content-Type"), (res.get_data(as_text=True).replace(f"/{target}", "/{id}")
                                                      .replace(f"%2F{target}", "%2F{id}"))  # login's ?next=


def test_existing_and_missing_sessions_answer_alike(strangers):
    sid, clients = strangers
    for who, c in clients.items():
        for url in URLS:
            existing, missing = answer(c, url, sid), answer(c, url, MISSING)
            assert existing[0] in (302, 404), (who, url, existing[0])  # 302: to the login page
            assert existing == missing, (who, url)
        op = {"type": "card.add", "phase_id": 1, "lane_id": 1, "title": "x"}
        existing = c.post(f"/api/sessions/{sid}/operations", json=op)
        missing = c.post(f"/api/sessions/{MISSING}/operations", json=op)
        assert existing.status_code == missing.status_code == 404, who
        assert existing.get_data() == missing.get_data()


def test_the_websocket_upgrade_answers_alike(app, strangers):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    sid, clients = strangers
    with LiveServer(app) as server:
        for who, c in clients.items():
            cookie = c.get_cookie("session")
            headers = {"Cookie": f"session={cookie.value}"} if cookie else {}
            statuses = []
            for target in (sid, MISSING):
                with pytest.raises(InvalidStatus) as exc:
                    connect(server.ws_url(target), additional_headers=headers, open_timeout=5)
                statuses.append((exc.value.response.status_code, exc.value.response.body))
            assert statuses[0] == statuses[1] and statuses[0][0] == 404, (who, statuses)


def test_existing_and_missing_sessions_take_about_as_long(strangers):
    sid, clients = strangers
    for who, c in clients.items():
        times = {sid: [], MISSING: []}
        for _ in range(30):
            for target in (sid, MISSING):  # interleaved, so machine noise hits both alike
                start = time.perf_counter()
                c.get(f"/api/sessions/{target}")
                times[target].append(time.perf_counter() - start)
        existing, missing = statistics.median(times[sid]), statistics.median(times[MISSING])
        assert abs(existing - missing) < max(0.002, 0.5 * missing), (who, existing, missing)


def test_existing_and_missing_sessions_cost_the_same_queries(app, strangers):
    """Timing on a quiet machine is not precise enough to see one extra query on SQLite; on PostgreSQL
    it is a network round trip. So count them: a stranger's request for an existing session must run
    exactly the statements a missing one runs."""
    from sqlalchemy import event
    from workshop.db import db

    sid, clients = strangers
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0])

    event.listen(engine, "before_cursor_execute", count)
    try:
        for who, c in clients.items():
            for url in ("/api/sessions/{id}", "/s/{id}", "/s/{id}/beamer", "/s/{id}/export.csv"):
                ran = {}
                for target in (sid, MISSING, sid):  # the first request may warm caches
                    statements.clear()
                    c.get(url.format(id=target))
                    ran[target] = list(statements)
                assert ran[sid] == ran[MISSING], (who, url, ran)
    finally:
        event.remove(engine, "before_cursor_execute", count)
