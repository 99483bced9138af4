"""“Namen verbergen” holds on every path a name could take to a participant.

Presence (also for sockets connected before the switch, which get a fresh
presence at once), live events, replayed events (``hello`` with ``last_seq`` 0,
so events stored before the switch), snapshots, the board page, the HTTP
operation answer and the exports. Switching back shows the names again.
"""
from __future__ import annotations

import json
import re

import pytest

from conftest import join, login
from live_server import LiveServer, WsClient, http_client, session_cookie

PIET, ANNA, NEW = "Piet Geheimhouder", "Anna Verborgen", "Karel Laatkomer"


@pytest.fixture
def board(app, facilitator, make_session):
    sid, code = make_session(facilitator, formula="ontwikkel")
    fac = http_client(app)
    login(fac)
    clients = {}
    for name in (PIET, ANNA, NEW):
        c = http_client(app)
        join(c, code, name)
        clients[name] = c
    snap = fac.get(f"/api/sessions/{sid}").get_json()
    ids = {p["name"]: p["id"] for p in snap["participants"]}
    with LiveServer(app) as server:
        yield {"sid": sid, "url": server.ws_url(sid), "fac": fac, "fac_cookie": session_cookie(fac),
               "http": clients, "cookie": {n: session_cookie(c) for n, c in clients.items()}, "ids": ids,
               "phase": snap["phases"][0]["id"],
               "lane": next(lane["id"] for lane in snap["lanes"] if lane["kind"] == "innovations")}


def names_in(frames) -> set[str]:
    text = json.dumps(frames, ensure_ascii=False)
    return {n for n in (PIET, ANNA, NEW) if n in text}


def hide(fac: WsClient, hidden: bool = True) -> int:
    return fac.apply("session.settings", anonymous=hidden)["seq"]


def presence_after(client: WsClient, seq: int) -> dict:
    """The first presence frame that follows the event ``seq``."""
    client.wait_seq(seq)
    at = next(i for i, f in enumerate(client.frames) if f.get("type") == "event" and f["seq"] == seq)
    for f in client.frames[at + 1:]:
        if f.get("type") == "presence":
            return f
    return client.wait_for(lambda f: f["type"] == "presence", timeout=5)


def test_sockets_connected_before_the_switch_get_a_presence_without_names_at_once(board):
    with WsClient(board["url"], board["fac_cookie"]) as fac, WsClient(board["url"], board["cookie"][PIET]) as piet, \
            WsClient(board["url"], board["cookie"][ANNA]) as anna:
        anna.wait_for(lambda f: f["type"] == "presence" and len(f["people"]) == 3)
        assert {PIET, ANNA} <= names_in(anna.frames)  # names shown before the switch
        seq = hide(fac)
        fresh = presence_after(anna, seq)
        assert len(fresh["people"]) == 3 and all(p["name"] is None for p in fresh["people"])
        mark = len(anna.frames)
        piet.send({"type": "presence", "editing": 1})  # later presence changes: still no names
        anna.wait_for(lambda f: f["type"] == "presence" and any(p["editing"] == 1 for p in f["people"]))
        assert names_in(anna.frames[mark:]) == set()
        # the facilitator may see who is there
        fac.wait_for(lambda f: f["type"] == "presence" and any(p["editing"] == 1 for p in f["people"]))
        assert PIET in names_in([fac.frames[-1]])


def test_presence_changes_carry_no_names_to_browsers_that_take_them(board):
    """Browsers ask for presence as changes (``features``): those frames lose names too, joins included."""
    delta = ["presence-delta"]
    with WsClient(board["url"], board["fac_cookie"], features=delta) as fac, \
            WsClient(board["url"], board["cookie"][ANNA], features=delta) as anna:
        seq = hide(fac)
        # from the switch on, as Anna's socket carries it (frames sent before it may still be arriving)
        anna.wait_seq(seq)
        mark = next(i for i, f in enumerate(anna.frames) if f.get("type") == "event" and f["seq"] == seq) + 1
        with WsClient(board["url"], board["cookie"][PIET], features=delta) as piet:
            anna.wait_for(lambda f: f["type"] == "presence" and any(
                c["id"] == board["ids"][PIET] and not c.get("gone") for c in f.get("changes") or []))
            piet.send({"type": "presence", "editing": 1})
            anna.wait_for(lambda f: f["type"] == "presence" and any(
                c.get("editing") == 1 for c in f.get("changes") or []))
            assert names_in(anna.frames[mark:]) == set()
            fac.wait_for(lambda f: f["type"] == "presence" and PIET in names_in([f]))  # the facilitator sees who


def test_a_participant_joining_after_the_switch_sees_no_earlier_name(board):
    with WsClient(board["url"], board["fac_cookie"]) as fac, WsClient(board["url"], board["cookie"][PIET]):
        hide(fac)
        with WsClient(board["url"], board["cookie"][NEW], last_seq=None) as late:
            assert late.synced["presence"] and names_in(late.frames) == set()  # snapshot and synced frame


def test_live_events_and_the_http_answer_carry_no_author(board):
    with WsClient(board["url"], board["fac_cookie"]) as fac, WsClient(board["url"], board["cookie"][PIET]) as piet, \
            WsClient(board["url"], board["cookie"][ANNA]) as anna:
        hide(fac)
        seq = piet.apply("card.add", phase_id=board["phase"], lane_id=board["lane"], title="Track & Trace")["seq"]
        anna.wait_seq(seq)
        added = [e for e in anna.events() if e["event"] == "card.add"][-1]["data"]["card"]
        assert added["author"] is None and added["author_participant_id"] is None
        res = board["http"][PIET].post(f"/api/sessions/{board['sid']}/operations", json={
            "type": "card.add", "phase_id": board["phase"], "lane_id": board["lane"], "title": "Webshop"})
        assert res.status_code == 200 and names_in(res.get_json()) == set()
        fac.apply("participant.rename", id=board["ids"][PIET], name="Piet Nieuwenaam")
        anna.wait_for(lambda f: f.get("event") == "participant.rename")
        assert names_in(anna.frames[-1:]) == set() and "Piet Nieuwenaam" not in json.dumps(anna.frames)


def test_events_stored_before_the_switch_are_replayed_without_names(board):
    with WsClient(board["url"], board["fac_cookie"]) as fac, WsClient(board["url"], board["cookie"][PIET]) as piet:
        piet.apply("card.add", phase_id=board["phase"], lane_id=board["lane"], title="Stip op de kaart")
        fac.apply("participant.rename", id=board["ids"][ANNA], name=ANNA + " B")
        hide(fac, False)  # a switch back to names lists every author: stored, must not replay
        hide(fac)
    with WsClient(board["url"], board["cookie"][ANNA], last_seq=0) as anna:
        replayed = anna.events()
        assert {e["event"] for e in replayed} >= {"card.add", "participant.rename", "session.settings"}
        assert names_in(anna.frames) == set()
    # the event log itself keeps the names: switching back shows them again
    with WsClient(board["url"], board["fac_cookie"]) as fac:
        hide(fac, False)
    # (presence names who else is here: Piet, connected first; a connection's own entry, and one of a
    # socket that has just closed, may or may not be in its ``synced`` frame yet)
    with WsClient(board["url"], board["cookie"][PIET]), \
            WsClient(board["url"], board["cookie"][ANNA], last_seq=0) as anna:
        assert PIET in names_in(anna.events())
        if PIET not in names_in([anna.synced]):  # Piet's entry landed just after Anna's sync
            anna.wait_for(lambda f: f.get("type") == "presence" and PIET in names_in([f]), timeout=5)


def test_switching_back_shows_names_in_presence_at_once(board):
    with WsClient(board["url"], board["fac_cookie"]) as fac, WsClient(board["url"], board["cookie"][PIET]), \
            WsClient(board["url"], board["cookie"][ANNA]) as anna:
        hide(fac)
        seq = hide(fac, False)
        fresh = presence_after(anna, seq)
        assert {p["name"] for p in fresh["people"]} >= {PIET, ANNA}
        shown = [e for e in anna.events() if e["seq"] == seq][0]["data"]
        assert {p["name"] for p in shown["participants"]} >= {PIET, ANNA}  # the settings event lists them


def test_snapshot_page_and_exports_carry_no_name_to_participants(board):
    with WsClient(board["url"], board["fac_cookie"]) as fac, WsClient(board["url"], board["cookie"][PIET]) as piet:
        piet.apply("card.add", phase_id=board["phase"], lane_id=board["lane"], title="Reviews")
        hide(fac)
    anna = board["http"][ANNA]
    assert names_in(anna.get(f"/api/sessions/{board['sid']}").get_json()) == set()
    page = anna.get(f"/s/{board['sid']}").get_data(as_text=True)
    assert PIET not in page and NEW not in page  # her own name is hers to see
    for kind in ("pdf", "csv", "json"):  # facilitator-only: refused to her, and the refusal names no one
        res = anna.get(f"/s/{board['sid']}/export.{kind}")
        assert res.status_code == 403 and PIET not in res.get_data(as_text=True)
    # the report as a web page is hers to open: the board's cards, no author
    report = anna.get(f"/s/{board['sid']}/report")
    assert report.status_code == 200
    text = report.get_data(as_text=True)
    assert "Reviews" in text and PIET not in text
    # the projector view faces the whole room: its markup shows no name (its embedded data is the
    # facilitator's snapshot, as its websocket's is; static/js/beamer.js draws no author or presence)
    beamer = board["fac"].get(f"/s/{board['sid']}/beamer")
    shown = re.sub(r'<script type="application/json"[^>]*>.*?</script>', "", beamer.get_data(as_text=True),
                   flags=re.S)
    assert beamer.status_code == 200 and "Reviews" in beamer.get_data(as_text=True) and PIET not in shown
    # the facilitator's downloads follow the setting too (tests/test_privacy.py checks the PDF text)
    csv = board["fac"].get(f"/s/{board['sid']}/export.csv").get_data(as_text=True)
    assert PIET not in csv


def test_each_participant_knows_their_own_cards_and_nobody_elses(board):
    """"Edit own cards only" needs a participant to recognise their cards while names are hidden:
    the snapshot and catch-up mark the viewer's own cards with their id, and no one else's."""
    with WsClient(board["url"], board["fac_cookie"]) as fac, WsClient(board["url"], board["cookie"][PIET]) as piet, \
            WsClient(board["url"], board["cookie"][ANNA]) as anna:
        hide(fac)
        fac.apply("session.settings", edit_policy="own")
        mine = piet.apply("card.add", phase_id=board["phase"], lane_id=board["lane"], title="Van Piet")["seq"]
        hers = anna.apply("card.add", phase_id=board["phase"], lane_id=board["lane"], title="Van Anna")["seq"]
        piet.wait_seq(hers)
    piet_id, anna_id = board["ids"][PIET], board["ids"][ANNA]
    for name, own_id, own_title in ((PIET, piet_id, "Van Piet"), (ANNA, anna_id, "Van Anna")):
        cards = board["http"][name].get(f"/api/sessions/{board['sid']}").get_json()["cards"]
        marked = {c["title"]: c["author_participant_id"] for c in cards if c["title"] in ("Van Piet", "Van Anna")}
        assert marked == {"Van Piet": piet_id if name == PIET else None,
                          "Van Anna": anna_id if name == ANNA else None}, name
        assert all(c["author"] is None for c in cards)
        with WsClient(board["url"], board["cookie"][name], last_seq=0) as again:  # catch-up from the log
            added = {e["data"]["card"]["title"]: e["data"]["card"]["author_participant_id"]
                     for e in again.events() if e["event"] == "card.add" and e["seq"] in (mine, hers)}
            assert added == {own_title: own_id, ("Van Anna" if name == PIET else "Van Piet"): None}, name
            assert names_in(again.frames) <= {name}
