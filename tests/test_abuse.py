"""Abuse probes against the app served the production way (gunicorn, gevent worker, gunicorn.conf.py).

No client can hold the database while it makes the server wait: an unfinished
request body or header is dropped by a deadline, and meanwhile every other
client's edits are acknowledged at once. A PDF export of a large board never
holds up live edits. SQLite with one worker; PostgreSQL + Redis with two.
"""
from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
import uuid
from types import SimpleNamespace

import pytest
import requests

from conftest import PASSWORD
from tests.live_server import GunicornServer, WsClient, participant_cookie
from workshop import create_app
from workshop.config import normalise_database_url
from workshop.db import db
from workshop.migrate import upgrade
from workshop.seed import load_seed

SECRET = "abuse-secret"
BODY_TIMEOUT = 1.5
KEEPALIVE = 2
BACKENDS = [
    pytest.param("sqlite", id="sqlite-1-worker"),
    pytest.param("postgres", id="postgres-redis-2-workers", marks=[pytest.mark.postgres, pytest.mark.redis]),
]


def build_board(app, cards: int = 150) -> dict:
    """A facilitator, a session of the Ontwerp formula with ``cards`` cards, two participants."""
    from workshop.accounts import create_facilitator
    from workshop.board import Actor, apply_operation
    from workshop.models import Lane, Phase
    from workshop.sessions import create_session, find_formula, join_session
    from sqlalchemy import select

    with app.app_context():
        fac = create_facilitator(db.session, "fien@gemeente.nl", PASSWORD, "Fien")
        ws = create_session(db.session, fac.id, title="Druk bord", formula=find_formula(db.session, "ontwerp"))
        db.session.flush()
        actor = Actor("facilitator", fac.id, "Fien")
        phases = list(db.session.scalars(select(Phase.id).where(Phase.session_id == ws.id).order_by(Phase.position)))
        lanes = list(db.session.scalars(select(Lane.id).where(Lane.session_id == ws.id).order_by(Lane.position)))
        for i in range(cards):
            apply_operation(db.session, ws.id, actor, {
                "type": "card.add", "phase_id": phases[i % len(phases)], "lane_id": lanes[2 + i % 2],
                "title": f"Kaart {i}", "statement": "Ik zie steeds de voortgang van mijn aanvraag.",
                "channels": ["telefoon", "email"] if i % 3 else []})
        cookies = [participant_cookie(app, ws.id, join_session(db.session, ws, name)[1])
                   for name in ("Piet", "Anna")]
        db.session.commit()
        board = {"id": ws.id, "cookies": cookies, "phase": phases[0], "lane": lanes[2]}
        db.session.remove()
        db.engine.dispose()
    return board


@pytest.fixture
def served(request, tmp_path, seeded_sqlite):
    if request.param == "sqlite":
        path = tmp_path / "abuse.sqlite3"
        shutil.copy(seeded_sqlite, path)
        url, redis_url, workers, seeded = f"sqlite:///{path}", None, 1, True
    else:
        url = normalise_database_url(request.getfixturevalue("pg_url"))
        redis_url, workers, seeded = request.getfixturevalue("redis_url"), 2, False
        upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": None})
    if not seeded:
        with app.app_context():
            load_seed(db.session)
            db.session.commit()
            db.session.remove()
    board = build_board(app)
    env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "REQUEST_BODY_TIMEOUT": str(BODY_TIMEOUT),
           "KEEPALIVE": str(KEEPALIVE), "LIVE_NAMESPACE": f"abuse-{uuid.uuid4().hex[:8]}"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    with GunicornServer(env, workers=workers) as server:
        yield SimpleNamespace(server=server, backend=request.param, workers=workers, **board)


def start_unfinished_bodies(server, board, count: int) -> list[socket.socket]:
    """Connections that announce a 100-byte operation, send 5 bytes of it and wait."""
    cookie = board.cookies[0]
    head = (f"POST /api/sessions/{board.id}/operations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: 100\r\nCookie: {cookie}\r\n\r\n").encode()
    attackers = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(head + b'{"typ')
        attackers.append(s)
    return attackers


def answer_and_close(s: socket.socket, within: float) -> tuple[bytes, float]:
    """What the server sends before it closes the connection, and when it closed it."""
    s.settimeout(within)
    data, start = b"", time.monotonic()
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    finally:
        s.close()
    return data, time.monotonic() - start


def timed_add(client: WsClient, board, title: str) -> float:
    start = time.monotonic()
    client.apply("card.add", phase_id=board.phase, lane_id=board.lane, title=title)
    return time.monotonic() - start


@pytest.mark.parametrize("served", BACKENDS, indirect=True)
def test_unfinished_bodies_hold_nothing_and_are_dropped(served):
    # more attackers than both workers' database pools together (2 × (10 + 20)) on PostgreSQL
    a = WsClient(served.server.ws_url(served.id), served.cookies[0], last_seq=None)
    b = WsClient(served.server.ws_url(served.id), served.cookies[1], last_seq=None)
    attackers = start_unfinished_bodies(served.server, served, 80 if served.workers > 1 else 20)
    started = time.monotonic()
    try:
        acks = [timed_add(c, served, f"Tijdens de aanval {i}") for i in range(5) for c in (a, b)]
        page = requests.get(f"{served.server.url}/s/{served.id}", headers={"Cookie": served.cookies[0]}, timeout=5)
        during = time.monotonic() - started
    finally:
        a.close()
        b.close()
    assert during < BODY_TIMEOUT, f"the edits must have happened while the attackers were still waiting: {acks}"
    assert max(acks) < 1.0, acks  # before: each failed after SQLite's 10 s busy timeout
    assert page.status_code == 200
    for s in attackers:
        data, closed_after = answer_and_close(s, BODY_TIMEOUT + 5)
        assert data.startswith(b"HTTP/1.1 408"), data[:80]
        assert closed_after < BODY_TIMEOUT + 4


@pytest.mark.parametrize("served", BACKENDS[:1], indirect=True)
def test_a_slow_loris_header_is_dropped_after_the_header_timeout(served):
    s = socket.create_connection(("127.0.0.1", served.server.port), timeout=10)
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    start = time.monotonic()
    closed = False
    while time.monotonic() - start < KEEPALIVE + 6:
        try:
            s.sendall(b"X-Drip: a\r\n")  # never the blank line that ends the headers
            s.settimeout(0.5)
            if s.recv(1) == b"":
                closed = True
                break
        except socket.timeout:
            continue
        except OSError:
            closed = True
            break
    s.close()
    assert closed, "the server kept serving a header that never ended"
    assert time.monotonic() - start < KEEPALIVE + 3


def facilitator_http(server) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{server.url}/login", timeout=10)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or \
        re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    res = http.post(f"{server.url}/login", data={"email": "fien@gemeente.nl", "password": PASSWORD,
                                                 "csrf_token": token.group(1)}, allow_redirects=False, timeout=10)
    assert res.status_code == 302, res.text[:300]
    return http


ACK_BOUND = 0.200  # issue 11: every add acknowledged within 200 ms while the PDF renders
ROUNDS = 3


def export_during_edits(served, http, a, b) -> tuple[dict, list[float]]:
    """Two clients add cards (one at a time each) for as long as one PDF export of the board takes."""
    export: dict = {}
    acks: list[float] = []

    def edit(client, name):
        i = 0
        while not export:
            acks.append(timed_add(client, served, f"{name} {i}"))
            i += 1
            time.sleep(0.02)

    editors = [threading.Thread(target=edit, args=(c, n)) for c, n in ((a, "Piet"), (b, "Anna"))]
    for t in editors:
        t.start()
    time.sleep(0.2)
    start = time.monotonic()
    res = http.get(f"{served.server.url}/s/{served.id}/export.pdf", timeout=60)
    export.update(status=res.status_code, body=res.content[:5], seconds=time.monotonic() - start)
    for t in editors:
        t.join(10)
    return export, acks


@pytest.mark.parametrize("served", BACKENDS, indirect=True)
def test_a_large_pdf_export_never_holds_up_live_edits(served):
    """Every add during the export is acknowledged within 200 ms, and the export succeeds.

    The machine this runs on may be shared and busy: a round in which some add
    took longer is repeated, up to three rounds, and one clean round passes.
    An export that holds edits up (before: 10 s and ``server_error``) fails all three.
    """
    http = facilitator_http(served.server)
    a = WsClient(served.server.ws_url(served.id), served.cookies[0], last_seq=None)
    b = WsClient(served.server.ws_url(served.id), served.cookies[1], last_seq=None)
    rounds = []
    try:
        for _ in range(ROUNDS):
            export, acks = export_during_edits(served, http, a, b)
            assert export["status"] == 200 and export["body"] == b"%PDF-"
            assert len(acks) >= 6, (len(acks), export["seconds"])  # the adds really overlapped the export
            slow = [round(t * 1000) for t in acks if t > ACK_BOUND]
            rounds.append(f"{len(slow)} of {len(acks)} adds over {ACK_BOUND * 1000:.0f} ms during a "
                          f"{export['seconds']:.2f} s export: {slow}")
            if not slow:
                break
    finally:
        a.close()
        b.close()
    assert not slow, "; ".join(rounds)


def test_body_refusals_are_plain_answers_that_never_reach_the_app(app):
    """Unit view of web/request_body.py: a body that stops halfway, a bad length, an API client."""
    import io

    from workshop.web.request_body import RequestBodyReader

    reached = []

    def wsgi_app(environ, start_response):
        reached.append(environ["wsgi.input"].read())
        start_response("200 OK", [])
        return [b"ok"]

    def call(environ):
        seen = {}

        def start_response(status, headers, exc_info=None):
            seen.update(status=status, headers=dict(headers))
        body = b"".join(RequestBodyReader(wsgi_app, 1000, 1.0)(environ, start_response))
        return seen["status"], seen["headers"], body

    base = {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/sessions/1/operations"}
    status, headers, body = call(dict(base, CONTENT_LENGTH="10", **{"wsgi.input": io.BytesIO(b'{"a"')}))
    assert status.startswith("400") and headers["Connection"] == "close" and reached == []
    assert json.loads(body)["error"]["code"] == "malformed"
    status, _, _ = call(dict(base, CONTENT_LENGTH="-1", **{"wsgi.input": io.BytesIO(b"")}))
    assert status.startswith("400") and reached == []
    status, _, body = call(dict(base, CONTENT_LENGTH="7", **{"wsgi.input": io.BytesIO(b'{"a":1}')}))
    assert status.startswith("200") and reached == [b'{"a":1}']
    # a chunked body over the limit is cut off and refused
    status, _, body = call(dict(base, PATH_INFO="/", HTTP_TRANSFER_ENCODING="chunked",
                                **{"wsgi.input": io.BytesIO(b"x" * 5000)}))
    assert status.startswith("413") and "te groot" in body.decode()


def test_body_refusals_speak_the_apps_language(app):
    """The middleware's 400/408/413 choose their language as the app does: ``?lang=``, the ``lang``
    cookie, else Dutch (the browser's Accept-Language does not count, as everywhere else)."""
    client = app.test_client()

    def refusal(url="/api/sessions/1/operations", **kw):
        res = client.post(url, data=b"{}", environ_overrides={"CONTENT_LENGTH": "-1"}, **kw)
        assert res.status_code == 400
        return res.get_json()["error"]["message"] if url.startswith("/api/") else res.get_data(as_text=True)

    dutch, english = "Het verzoek is onvolledig of onleesbaar.", "The request is incomplete or unreadable."
    assert refusal() == dutch
    assert refusal(headers={"Accept-Language": "en-GB,en"}) == dutch
    assert refusal("/api/sessions/1/operations?lang=en") == english
    assert refusal("/sessions/new?lang=en") == english
    client.set_cookie("lang", "en")
    assert refusal() == english
    assert refusal("/api/sessions/1/operations?lang=nl") == dutch
    client.set_cookie("lang", "xx")
    assert refusal() == dutch
