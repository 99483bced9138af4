"""Websocket hardening: who may connect, and hostile frames from those who may.

Basic protocol errors (non-JSON, unknown frame types, a missing ``op``) are in
test_live_protocol.py; this module adds the attacks of docs/security.md.
"""
from __future__ import annotations

import json
import uuid

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from conftest import join, make_test_app
from live_server import LiveServer, WsClient, http_client, people_on_board, session_cookie
from workshop.live.ratelimit import TokenBucket


@pytest.fixture
def big_frames_app(db_path):
    """Frames up to 64 KiB, so 10 000 levels of nesting fit in one frame."""
    app = make_test_app(f"sqlite:///{db_path}", WS_MAX_MESSAGE_SIZE=64 * 1024)
    yield app
    from workshop.db import db as database
    with app.app_context():
        database.session.remove()
        database.engine.dispose()


def _board(app, make_facilitator, make_session):
    fid = make_facilitator()
    sid, code = make_session(fid, formula="ontwerp")
    fac, people = people_on_board(app, code)
    from workshop.db import db as database
    from workshop.models import Lane, Phase
    from sqlalchemy import select
    with app.app_context():
        phase = database.session.scalars(select(Phase.id).where(Phase.session_id == sid)).first()
        lane = database.session.scalars(select(Lane.id).where(Lane.session_id == sid)).first()
    return {"id": sid, "code": code, "fac": fac, "people": people, "phase": phase, "lane": lane, "fid": fid}


@pytest.fixture
def board(app, make_facilitator, make_session):
    return _board(app, make_facilitator, make_session)


@pytest.fixture
def live(app):
    with LiveServer(app) as server:
        yield server


def _still_usable(c: WsClient, board) -> None:
    c.apply("card.add", phase_id=board["phase"], lane_id=board["lane"], title=f"nog hier {uuid.uuid4().hex[:4]}")


def _refused(url, **kw) -> int:
    with pytest.raises(InvalidStatus) as exc:
        WsClient(url, **kw)
    return exc.value.response.status_code


# ---------------------------------------------------------------------------
# who may connect


def test_foreign_origin_is_refused_even_with_a_valid_cookie(board, live):
    cookie = session_cookie(board["people"][0])
    assert _refused(live.ws_url(board["id"]), cookie=cookie, origin="https://evil.example") == 403
    assert _refused(live.ws_url(board["id"]), cookie=cookie, origin="null") == 403
    # the same origin is fine
    with WsClient(live.ws_url(board["id"]), cookie=cookie, origin=live.url):
        pass


def test_no_token_forged_token_or_another_sessions_token_is_refused(app, board, live, make_session):
    url = live.ws_url(board["id"])
    assert _refused(url) == 404
    forged = http_client(app)
    with forged.session_transaction() as sess:
        sess["participants"] = {str(board["id"]): "x" * 43}
    assert _refused(url, cookie=session_cookie(forged)) == 404
    # a cookie signed with another key is ignored
    assert _refused(url, cookie="session=" + session_cookie(board["people"][0]).split("=", 1)[1][:-4] + "AAAA") == 404
    # a participant of another session
    other_sid, other_code = make_session(board["fid"], title="Andere sessie")
    stranger = http_client(app)
    join(stranger, other_code, "Vreemde")
    assert _refused(url, cookie=session_cookie(stranger)) == 404
    assert _refused(live.ws_url(10**9), cookie=session_cookie(stranger)) == 404  # the same: no oracle


def test_removed_participant_is_disconnected_and_cannot_come_back(board, live):
    url = live.ws_url(board["id"])
    cookie = session_cookie(board["people"][1])
    with WsClient(url, cookie=session_cookie(board["fac"])) as fac, WsClient(url, cookie=cookie) as anna:
        snapshot = board["fac"].get(f"/api/sessions/{board['id']}").get_json()
        anna_id = next(p["id"] for p in snapshot["participants"] if p["name"] == "Anna")
        fac.apply("participant.remove", id=anna_id)
        # cut off at once: the removal event, an error frame, then the close; no further op is taken
        err = anna.wait_for(lambda f: f["type"] == "error", timeout=10)
        assert err["code"] == "removed" and err["message"]
        with pytest.raises(ConnectionClosed) as exc:
            anna.op("card.add", phase_id=board["phase"], lane_id=board["lane"], title="nog even")
            anna.wait_for(lambda f: False, timeout=10)
        assert exc.value.rcvd.code == 4403
    assert _refused(url, cookie=cookie) == 404


# ---------------------------------------------------------------------------
# hostile frames: an error frame each, and the connection stays usable


HOSTILE_OPS = [
    ({"type": "card.add", "phase_id": "1", "lane_id": 1, "title": "x"}, "wrong_type"),
    ({"type": "card.add", "phase_id": 10**100, "lane_id": 10**100, "title": "x"}, "out_of_range"),
    ({"type": "card.add", "phase_id": 1.5, "lane_id": 1, "title": "x"}, "wrong_type"),
    ({"type": "card.add", "phase_id": True, "lane_id": 1, "title": "x"}, "wrong_type"),
    ({"type": "card.add", "title": ["a"], "phase_id": 1, "lane_id": 1}, None),
    ({"type": "card.move", "id": -(10**100)}, "out_of_range"),
    ({"type": "card.add", "title": "x" * 201, "phase_id": 1, "lane_id": 1}, None),
    ({"type": "card.add", "title": "x", "channels": "website", "phase_id": 1, "lane_id": 1}, None),
    ({"type": "card.explode", "id": 1}, "unknown_type"),
    ({"type": {"nested": 1}}, None),
    ({"type": "card.add", "op_id": "x" * 500}, "too_long"),
]


@pytest.mark.parametrize("op, code", HOSTILE_OPS, ids=[f"{i}" for i in range(len(HOSTILE_OPS))])
def test_hostile_operations_get_an_error_frame_and_change_nothing(board, live, op, code):
    with WsClient(live.ws_url(board["id"]), cookie=session_cookie(board["people"][0])) as c:
        seq = c.seq
        c.send({"type": "op", "op": op})
        err = c.wait_for(lambda f: f["type"] in ("error", "ack"))
        assert err["type"] == "error" and err["message"], err
        if code:
            assert err["code"] == code, err
        _still_usable(c, board)
        assert c.seq == seq + 1  # only the good card made an event


@pytest.mark.parametrize("frame", [
    b"\xff\xfe not utf-8",
    "",
    "null",
    "1e999999",
    json.dumps({"type": "sync", "last_seq": 10**100}),
    json.dumps({"type": "presence", "editing": 10**100}),
    json.dumps({"type": "op", "op": {"type": "card.add"}, "extra": "x" * 1000}),
])
def test_odd_frames_get_an_answer_and_the_connection_stays_usable(board, live, frame):
    with WsClient(live.ws_url(board["id"]), cookie=session_cookie(board["people"][0])) as c:
        c.ws.send(frame)
        _still_usable(c, board)


def test_deeply_nested_json_gets_an_error_frame(big_frames_app, make_facilitator, make_session):
    board = _board(big_frames_app, make_facilitator, make_session)
    with LiveServer(big_frames_app) as live:
        with WsClient(live.ws_url(board["id"]), cookie=session_cookie(board["people"][0])) as c:
            for depth in (1000, 10_000):
                c.send("[" * depth + "]" * depth)
                err = c.wait_for(lambda f: f["type"] == "error", timeout=10)
                assert err["code"] == "malformed"
                c.send('{"type": "op", "op": ' + '{"a": ' * depth + "1" + "}" * depth + "}")
                err = c.wait_for(lambda f: f["type"] == "error", timeout=10)
            _still_usable(c, board)


def test_an_oversized_frame_gets_an_error_frame_and_the_connection_stays_usable(board, live):
    with WsClient(live.ws_url(board["id"]), cookie=session_cookie(board["people"][0])) as c:
        c.send({"type": "op", "op": {"type": "card.add", "title": "x" * (64 * 1024)}})
        err = c.wait_for(lambda f: f["type"] == "error")
        assert err["code"] == "too_large"
        _still_usable(c, board)


# ---------------------------------------------------------------------------
# flooding


def test_token_bucket_allows_a_burst_then_the_sustained_rate():
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=5, clock=lambda: now[0])
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]
    assert bucket.retry_after() == pytest.approx(0.1)
    now[0] += 0.1
    assert bucket.take() and not bucket.take()
    now[0] += 100  # idle time does not bank more than one burst
    assert sum(bucket.take() for _ in range(20)) == 5


def test_rate_limited_frame_is_clear(app):
    from workshop.live.ratelimit import rate_limited_frame

    with app.test_request_context(headers={"Accept-Language": "en"}):
        frame = json.loads(rate_limited_frame("abc", 0.5))
    assert frame["type"] == "error" and frame["code"] == "rate_limited" and frame["op_id"] == "abc"
    assert frame["retry_after"] == 0.5 and frame["message"]


def test_a_flooding_client_is_rate_limited_and_others_are_served(board, live):
    url = live.ws_url(board["id"])
    with WsClient(url, cookie=session_cookie(board["people"][0])) as flood, \
            WsClient(url, cookie=session_cookie(board["people"][1])) as calm:
        ids = [flood.op("card.add", phase_id=board["phase"], lane_id=board["lane"], title=f"spam {i}")
               for i in range(80)]
        _still_usable(calm, board)  # the other client is answered while the flood is queued
        replies = [flood.reply_to(op_id) for op_id in ids]
        limited = [r for r in replies if r["type"] == "error" and r["code"] == "rate_limited"]
        assert limited and limited[0]["message"] and limited[0]["retry_after"] > 0
        assert sum(r["type"] == "ack" for r in replies) < 80
