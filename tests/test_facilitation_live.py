"""Facilitation over real websockets: what every client receives, and what it must not."""
from __future__ import annotations

import pytest

from conftest import join, login
from live_server import LiveServer, WsClient, http_client, session_cookie


@pytest.fixture
def live_board(app, facilitator, make_session):
    sid, code = make_session(facilitator, formula="ontwikkel")
    fac = http_client(app)
    login(fac)
    cookies = []
    for name in ("Anna", "Bram"):
        c = http_client(app)
        join(c, code, name)
        cookies.append(session_cookie(c))
    snap = fac.get(f"/api/sessions/{sid}").get_json()
    with LiveServer(app) as server:
        yield {"url": server.ws_url(sid), "fac": session_cookie(fac), "people": cookies, "snap": snap,
               "lanes": {lane["kind"]: lane["id"] for lane in snap["lanes"]},
               "phases": [p["id"] for p in snap["phases"]]}


def test_hidden_votes_never_reach_other_screens_until_revealed(live_board):
    b = live_board
    with WsClient(b["url"], b["fac"]) as fac, WsClient(b["url"], b["people"][0]) as anna, \
            WsClient(b["url"], b["people"][1]) as bram:
        card = anna.apply("card.add", phase_id=b["phases"][0], lane_id=b["lanes"]["innovations"], title="Track & Trace")
        card_id = [e for e in anna.events() if e["event"] == "card.add"][-1]["data"]["card"]["id"]
        fac.apply("vote.open", lane_id=b["lanes"]["innovations"], votes_per_participant=3)
        reply = anna.apply("vote.cast", card_id=card_id)
        bram.wait_seq(reply["seq"])
        fac.wait_seq(reply["seq"])
        seen = [e for e in bram.events() + fac.events() if e["event"] == "vote.cast"]
        assert seen and all(set(e["data"]) == {"vote_id", "total", "voters"} for e in seen)
        # a participant may not reveal over the socket either
        op_id = bram.op("vote.reveal")
        err = bram.reply_to(op_id)
        assert err["type"] == "error" and err["code"] == "forbidden"
        reply = fac.apply("vote.reveal")
        bram.wait_seq(reply["seq"])
        revealed = [e for e in bram.events() if e["event"] == "vote.reveal"][-1]
        assert revealed["data"]["vote"]["counts"] == {str(card_id): 1}
        assert card


def test_timer_event_carries_server_time_and_end(live_board):
    b = live_board
    with WsClient(b["url"], b["fac"]) as fac, WsClient(b["url"], b["people"][0]) as anna:
        reply = fac.apply("timer.start", duration_seconds=90)
        anna.wait_seq(reply["seq"])
        timer = [e for e in anna.events() if e["event"] == "timer.start"][-1]["data"]["timer"]
        assert timer["status"] == "running" and timer["now"].endswith("Z") and timer["ends_at"].endswith("Z")
        op_id = anna.op("timer.pause")
        assert anna.reply_to(op_id)["code"] == "forbidden"


def test_removed_participant_is_refused_on_the_socket(live_board):
    b = live_board
    with WsClient(b["url"], b["fac"]) as fac, WsClient(b["url"], b["people"][0]) as anna:
        people = b["snap"]["participants"]
        anna_id = next(p["id"] for p in people if p["name"] == "Anna")
        reply = fac.apply("participant.remove", id=anna_id)
        anna.wait_seq(reply["seq"])
        removed = [e for e in anna.events() if e["event"] == "participant.remove"][-1]
        assert removed["data"]["id"] == anna_id
        # her connection is closed right after the event: she gets an error frame, then the close
        err = anna.wait_for(lambda f: f["type"] == "error", timeout=10)
        assert err["code"] == "removed"
