"""Two server processes share one session through PostgreSQL and Redis."""
from __future__ import annotations

import uuid

import pytest

from tests.live_server import GunicornServer, WsClient, participant_cookie
from workshop import create_app
from workshop.config import normalise_database_url
from workshop.db import db
from workshop.migrate import upgrade
from workshop.seed import load_seed

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SECRET = "two-process-secret"


@pytest.fixture
def shared_session(pg_url, redis_url):
    url = normalise_database_url(pg_url)
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": None})
    from workshop.accounts import create_facilitator
    from workshop.sessions import create_session, find_formula, join_session

    with app.app_context():
        load_seed(db.session)
        fac = create_facilitator(db.session, "fien@gemeente.nl", "correct-horse-battery", "Fien")
        ws = create_session(db.session, fac.id, title="Twee servers", formula=find_formula(db.session, "ontwerp"))
        db.session.flush()
        cookies = [participant_cookie(app, ws.id, join_session(db.session, ws, name)[1]) for name in ("Piet", "Anna")]
        db.session.commit()
        session_id = ws.id
        db.session.remove()
        db.engine.dispose()
    env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": SECRET,
           "LIVE_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}"}
    with GunicornServer(env) as one, GunicornServer(env) as two:
        yield {"id": session_id, "cookies": cookies, "servers": (one, two)}


def test_a_change_through_one_process_reaches_a_client_of_the_other_in_order(shared_session):
    one, two = shared_session["servers"]
    sid = shared_session["id"]
    a = WsClient(one.ws_url(sid), shared_session["cookies"][0], last_seq=None)
    b = WsClient(two.ws_url(sid), shared_session["cookies"][1], last_seq=None)
    try:
        snap = a.frames[0]["snapshot"]
        start = snap["seq"]
        phase, lane = snap["phases"][0]["id"], snap["lanes"][2]["id"]
        # both write at once, each through its own process
        for i in range(15):
            a.op("card.add", phase_id=phase, lane_id=lane, title=f"Via één {i}")
            b.op("card.add", phase_id=phase, lane_id=lane, title=f"Via twee {i}")
        final = start + 30
        a.wait_seq(final, timeout=20)
        b.wait_seq(final, timeout=20)
        for client in (a, b):
            assert [e["seq"] for e in client.events()] == list(range(start + 1, final + 1))  # in order, no gap
        assert [e["op_id"] for e in a.events()] == [e["op_id"] for e in b.events()]
        titles = {e["data"]["card"]["title"] for e in b.events()}
        assert {f"Via één {i}" for i in range(15)} <= titles
        # presence spans both processes
        both = [f for f in a.frames if f["type"] == "presence" and len(f["people"]) == 2]
        people = both[-1]["people"] if both else a.wait_for(
            lambda f: f["type"] == "presence" and len(f["people"]) == 2, 10)["people"]
        assert {p["name"] for p in people} == {"Piet", "Anna"}
    finally:
        a.close()
        b.close()
