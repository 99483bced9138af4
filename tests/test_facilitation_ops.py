"""Facilitation operations over HTTP: permissions, timer math, dot voting, participants, plate."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from conftest import join, login
from workshop.db import db
from workshop.models import AgendaRound


def op(client, sid, **body):
    return client.post(f"/api/sessions/{sid}/operations", json=body)


@pytest.fixture
def board(app, facilitator, make_session):
    """A session from the Ontwikkelformule with a logged-in facilitator and two participants."""
    sid, code = make_session(facilitator, formula="ontwikkel")
    fac = app.test_client()
    login(fac)
    p1, p2 = app.test_client(), app.test_client()
    join(p1, code, "Anna")
    join(p2, code, "Bram")
    snap = fac.get(f"/api/sessions/{sid}").get_json()
    lanes = {lane["kind"]: lane["id"] for lane in snap["lanes"]}
    phases = [p["id"] for p in snap["phases"]]
    return {"sid": sid, "code": code, "fac": fac, "p1": p1, "p2": p2, "lanes": lanes, "phases": phases,
            "snap": snap}


def snapshot(client, sid):
    return client.get(f"/api/sessions/{sid}").get_json()


def stable(snap):
    """A snapshot without the server's clock reading."""
    snap["timer"].pop("now")
    return snap


def add_card(client, b, title, lane="innovations", phase=0):
    res = op(client, b["sid"], type="card.add", phase_id=b["phases"][phase], lane_id=b["lanes"][lane], title=title)
    assert res.status_code == 200, res.get_json()
    return res.get_json()["event"]["data"]["card"]["id"]


# ---------------------------------------------------------------------------
# permissions: a participant gets a clear error and nothing changes


@pytest.mark.parametrize("body", [
    {"type": "session.settings", "locked": True},
    {"type": "session.settings", "locked": False},
    {"type": "session.settings", "anonymous": True},
    {"type": "session.settings", "edit_policy": "own"},
    {"type": "session.settings", "focus_phase_id": None},
    {"type": "timer.start"},
    {"type": "timer.pause"},
    {"type": "timer.extend", "seconds": 60},
    {"type": "timer.end"},
    {"type": "timer.next"},
    {"type": "agenda.set", "rounds": []},
    {"type": "vote.open", "lane_id": 1},
    {"type": "vote.reveal"},
    {"type": "vote.close"},
    {"type": "participant.rename", "id": 1, "name": "X"},
    {"type": "participant.remove", "id": 1},
    {"type": "library.promote", "id": 1},
])
def test_participant_cannot_use_facilitator_controls(board, body):
    before = stable(snapshot(board["fac"], board["sid"]))
    res = op(board["p1"], board["sid"], **body)
    assert res.status_code == 403
    assert res.get_json()["error"]["code"] == "forbidden"
    assert res.get_json()["error"]["message"]
    assert stable(snapshot(board["fac"], board["sid"])) == before


def test_lock_makes_participants_read_only_but_facilitator_can_edit(board):
    b = board
    card = add_card(b["p1"], b, "Track & Trace")
    assert op(b["fac"], b["sid"], type="session.settings", locked=True).status_code == 200
    res = op(b["p1"], b["sid"], type="card.update", id=card, title="Changed")
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "locked"
    res = op(b["p1"], b["sid"], type="plate.add", section="guarantee", heading="Beleving", text="x")
    assert res.get_json()["error"]["code"] == "locked"
    assert op(b["fac"], b["sid"], type="card.update", id=card, title="By facilitator").status_code == 200
    assert op(b["fac"], b["sid"], type="session.settings", locked=False).status_code == 200
    assert op(b["p1"], b["sid"], type="card.update", id=card, title="Again").status_code == 200


def test_edit_policy_own_protects_others_cards(board):
    b = board
    card = add_card(b["p1"], b, "Anna's idea")
    op(b["fac"], b["sid"], type="session.settings", edit_policy="own")
    for body in ({"type": "card.update", "id": card, "title": "Bram was here"},
                 {"type": "card.delete", "id": card},
                 {"type": "card.move", "id": card, "phase_id": b["phases"][1]}):
        res = op(b["p2"], b["sid"], **body)
        assert res.status_code == 403 and res.get_json()["error"]["code"] == "not_owner"
    cards = {c["id"]: c for c in snapshot(b["fac"], b["sid"])["cards"]}
    assert cards[card]["title"] == "Anna's idea" and cards[card]["phase_id"] == b["phases"][0]
    assert op(b["p1"], b["sid"], type="card.update", id=card, title="Mine").status_code == 200
    assert op(b["fac"], b["sid"], type="card.delete", id=card).status_code == 200


def test_focus_and_anonymous(board):
    b = board
    card = add_card(b["p1"], b, "Named")
    res = op(b["fac"], b["sid"], type="session.settings", focus_phase_id=b["phases"][2],
             focus_lane_id=b["lanes"]["innovations"], anonymous=True)
    assert res.status_code == 200
    settings = snapshot(b["p2"], b["sid"])["session"]["settings"]
    assert settings["focus_phase_id"] == b["phases"][2] and settings["anonymous"] is True
    p_snap = snapshot(b["p2"], b["sid"])
    assert all(c["author"] is None for c in p_snap["cards"])
    assert all(p["name"] is None for p in p_snap["participants"])
    assert {c["id"]: c["author"] for c in snapshot(b["fac"], b["sid"])["cards"]}[card] == "Anna"
    # a phase of another session cannot be focused
    res = op(b["fac"], b["sid"], type="session.settings", focus_phase_id=999999)
    assert res.status_code == 404
    res = op(b["fac"], b["sid"], type="session.settings", anonymous=False)
    assert res.get_json()["event"]["data"]["authors"][str(card)][0] == "Anna"


# ---------------------------------------------------------------------------
# agenda and timer


def test_formula_session_has_default_agenda_and_idle_timer(board):
    snap = board["snap"]
    assert [r["name"] for r in snap["agenda"]][:3] == ["Welkom en doel van de sessie", "Huidige klantreis",
                                                       "Gewenste klantreis"]
    assert snap["timer"]["status"] == "pending"
    assert snap["timer"]["remaining_seconds"] == snap["agenda"][0]["duration_seconds"]


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.rstrip("Z"))


def test_timer_math(board, app):
    b = board
    res = op(b["fac"], b["sid"], type="timer.start", duration_seconds=120)
    data = res.get_json()["event"]["data"]
    t = data["timer"]
    assert t["status"] == "running" and t["name"] == "Welkom en doel van de sessie"
    assert abs((_ts(t["ends_at"]) - _ts(t["now"])).total_seconds() - 120) < 0.01
    assert t["remaining_seconds"] == 120

    # pretend 50 seconds have passed (the server's clock is the truth)
    with app.app_context():
        r = db.session.get(AgendaRound, t["round_id"])
        r.ends_at -= timedelta(seconds=50)
        db.session.commit()
    t = op(b["fac"], b["sid"], type="timer.pause").get_json()["event"]["data"]["timer"]
    assert t["status"] == "paused" and t["ends_at"] is None and 69 <= t["remaining_seconds"] <= 70
    # a late joiner sees the same paused time
    assert 69 <= snapshot(b["p2"], b["sid"])["timer"]["remaining_seconds"] <= 70
    t = op(b["fac"], b["sid"], type="timer.extend", seconds=60).get_json()["event"]["data"]["timer"]
    assert 129 <= t["remaining_seconds"] <= 130
    t = op(b["fac"], b["sid"], type="timer.resume").get_json()["event"]["data"]["timer"]
    assert t["status"] == "running"
    assert 129 <= (_ts(t["ends_at"]) - _ts(t["now"])).total_seconds() <= 130

    # overrun: extending after zero counts from now
    with app.app_context():
        r = db.session.get(AgendaRound, t["round_id"])
        r.ends_at = datetime.utcnow() - timedelta(seconds=30)
        db.session.commit()
    assert snapshot(b["p1"], b["sid"])["timer"]["remaining_seconds"] <= -29
    t = op(b["fac"], b["sid"], type="timer.extend", seconds=60).get_json()["event"]["data"]["timer"]
    assert 59 <= t["remaining_seconds"] <= 60

    # next: this round is done, the next one runs and brings everyone to its lane
    data = op(b["fac"], b["sid"], type="timer.next", duration_seconds=30).get_json()["event"]["data"]
    assert data["timer"]["name"] == "Huidige klantreis" and data["timer"]["remaining_seconds"] == 30
    statuses = [r["status"] for r in data["agenda"]]
    assert statuses[:3] == ["done", "running", "pending"]
    assert data["settings"]["focus_lane_id"] == b["lanes"]["current"]
    t = op(b["fac"], b["sid"], type="timer.end").get_json()["event"]["data"]["timer"]
    assert t["status"] == "pending" and t["name"] == "Gewenste klantreis"


def test_timer_errors_are_clear(board):
    b = board
    res = op(b["fac"], b["sid"], type="timer.pause")
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "no_round"
    res = op(b["fac"], b["sid"], type="agenda.set", rounds=[{"name": "Kort", "duration_seconds": 60},
                                                            {"name": "", "duration_seconds": 60}])
    assert res.status_code == 400
    assert len(snapshot(b["fac"], b["sid"])["agenda"]) == 7  # unchanged
    res = op(b["fac"], b["sid"], type="agenda.set", rounds=[{"name": "Kort", "duration_seconds": 60}])
    assert [r["name"] for r in res.get_json()["event"]["data"]["agenda"]] == ["Kort"]


# ---------------------------------------------------------------------------
# dot voting


def test_vote_budget_per_card_max_and_hiding(board, app):
    b = board
    c1, c2, c3 = (add_card(b["p1"], b, t) for t in ("Track & Trace", "Webshop", "Reviews"))
    other = add_card(b["p1"], b, "Backoffice card", lane="backoffice")
    res = op(b["p1"], b["sid"], type="vote.cast", card_id=c1)
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "no_vote"
    res = op(b["fac"], b["sid"], type="vote.open", lane_id=b["lanes"]["innovations"], votes_per_participant=3,
             max_per_card=2)
    assert res.status_code == 200
    # the facilitator does not vote
    assert op(b["fac"], b["sid"], type="vote.cast", card_id=c1).status_code == 403
    # votes on another lane's card are refused
    assert op(b["p1"], b["sid"], type="vote.cast", card_id=other).get_json()["error"]["code"] == "not_in_vote"
    assert op(b["p1"], b["sid"], type="vote.cast", card_id=c1).status_code == 200
    ev = op(b["p1"], b["sid"], type="vote.cast", card_id=c1).get_json()["event"]
    # the broadcast event holds only totals, never which card was voted for
    assert ev["data"] == {"vote_id": ev["data"]["vote_id"], "total": 2, "voters": 1}
    res = op(b["p1"], b["sid"], type="vote.cast", card_id=c1)
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "card_max"
    assert op(b["p1"], b["sid"], type="vote.cast", card_id=c2).status_code == 200
    res = op(b["p1"], b["sid"], type="vote.cast", card_id=c3)
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "no_votes_left"
    # taking one back frees the budget
    assert op(b["p1"], b["sid"], type="vote.retract", card_id=c2).status_code == 200
    assert op(b["p1"], b["sid"], type="vote.retract", card_id=c2).get_json()["error"]["code"] == "no_vote_on_card"
    assert op(b["p1"], b["sid"], type="vote.cast", card_id=c3).status_code == 200
    for card in (c3, c3):
        assert op(b["p2"], b["sid"], type="vote.cast", card_id=card).status_code == 200
    assert op(b["p2"], b["sid"], type="vote.cast", card_id=c2).status_code == 200
    # while locked, participants can still vote (voting usually happens on a locked board)
    op(b["fac"], b["sid"], type="session.settings", locked=True)

    # hidden: no counts for anyone (the facilitator's screen is on the projector), own votes for each
    for who in ("fac", "p1", "p2"):
        vote = snapshot(b[who], b["sid"])["vote"]
        assert vote["status"] == "open" and vote["counts"] is None and vote["total"] == 6 and vote["voters"] == 2
    assert snapshot(b["p1"], b["sid"])["vote"]["mine"] == {str(c1): 2, str(c3): 1}
    assert snapshot(b["p2"], b["sid"])["vote"]["mine"] == {str(c3): 2, str(c2): 1}
    # a participant cannot reveal
    assert op(b["p1"], b["sid"], type="vote.reveal").status_code == 403
    assert snapshot(b["p1"], b["sid"])["vote"]["counts"] is None

    res = op(b["fac"], b["sid"], type="vote.reveal").get_json()["event"]["data"]
    assert res["vote"]["counts"] == {str(c1): 2, str(c2): 1, str(c3): 3}
    assert snapshot(b["p2"], b["sid"])["vote"]["counts"] == {str(c1): 2, str(c2): 1, str(c3): 3}
    res = op(b["p1"], b["sid"], type="vote.cast", card_id=c2)
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "vote_revealed"

    data = op(b["fac"], b["sid"], type="vote.close").get_json()["event"]["data"]
    assert data["ranking"] == [c3, c1, c2]
    assert data["votes"][str(c3)] == 3
    snap = snapshot(b["p1"], b["sid"])
    cell = sorted((c for c in snap["cards"] if c["lane_id"] == b["lanes"]["innovations"]),
                  key=lambda c: c["position"])
    assert [c["id"] for c in cell] == [c3, c1, c2]  # the cell is now in order of priority
    assert [c["votes"] for c in cell] == [3, 2, 1]
    assert snap["vote"]["status"] == "closed"
    # a new vote can be opened after closing
    assert op(b["fac"], b["sid"], type="vote.open", lane_id=b["lanes"]["innovations"]).status_code == 200
    assert op(b["fac"], b["sid"], type="vote.open", lane_id=b["lanes"]["innovations"]).status_code == 409


# ---------------------------------------------------------------------------
# participants


def test_rename_and_remove_participant(board, app):
    b = board
    add_card(b["p1"], b, "Anna's card")
    people = snapshot(b["fac"], b["sid"])["participants"]
    anna = next(p["id"] for p in people if p["name"] == "Anna")
    res = op(b["fac"], b["sid"], type="participant.rename", id=anna, name="Anna de Vries")
    assert res.status_code == 200
    snap = snapshot(b["p2"], b["sid"])
    assert any(p["name"] == "Anna de Vries" for p in snap["participants"])
    assert any(c["author"] == "Anna de Vries" for c in snap["cards"])
    ev = op(b["fac"], b["sid"], type="participant.remove", id=anna).get_json()["event"]
    assert ev["event"] == "participant.remove" and ev["data"]["id"] == anna
    # the token stops working at once, over HTTP and for the next page load
    assert b["p1"].get(f"/api/sessions/{b['sid']}").status_code == 404
    assert op(b["p1"], b["sid"], type="card.add", phase_id=b["phases"][0], lane_id=b["lanes"]["current"],
              title="x").status_code == 404
    assert b["p1"].get(f"/s/{b['sid']}").status_code == 404
    assert all(p["id"] != anna for p in snapshot(b["fac"], b["sid"])["participants"])
    res = op(b["fac"], b["sid"], type="participant.remove", id=anna)
    assert res.status_code == 404


# ---------------------------------------------------------------------------
# the plate


def test_plate_is_prefilled_and_edited_live(board):
    b = board
    plate = b["snap"]["plate"]
    assert {i["heading"] for i in plate if i["section"] == "guarantee"} >= {"Beleving", "Toegang"}
    res = op(b["p1"], b["sid"], type="plate.add", section="agreement", heading="Processen",
             text="We werken met één dossier.")
    item = res.get_json()["event"]["data"]["item"]
    assert op(b["p2"], b["sid"], type="plate.update", id=item["id"], text="Eén digitaal dossier.").status_code == 200
    assert op(b["p2"], b["sid"], type="plate.move", id=item["id"], heading="Informatisering",
              index=0).status_code == 200
    found = [i for i in snapshot(b["fac"], b["sid"])["plate"] if i["id"] == item["id"]][0]
    assert found["heading"] == "Informatisering" and found["text"] == "Eén digitaal dossier."
    assert op(b["p1"], b["sid"], type="session.update_plate_meta", tagline="Samen bouwen",
              personas=["Ondernemer Olga", " "]).status_code == 200
    meta = snapshot(b["p2"], b["sid"])["session"]
    assert meta["tagline"] == "Samen bouwen" and meta["personas"] == ["Ondernemer Olga"]
    assert op(b["p1"], b["sid"], type="plate.delete", id=item["id"]).status_code == 200
    assert op(b["p1"], b["sid"], type="plate.delete", id=item["id"]).status_code == 404
    res = op(b["p1"], b["sid"], type="plate.add", section="nonsense", heading="X", text="y")
    assert res.status_code == 400


def test_plate_page_for_members_only(board, app):
    b = board
    page = b["p1"].get(f"/s/{b['sid']}/plate")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for heading in ("Beleving", "Toegang", "Service", "Assortiment", "Prijs", "HRM en Besturing", "Processen",
                    "Informatisering", "Financiën"):
        assert f'data-heading="{heading}"' in html
    assert b["snap"]["plate"][0]["text"] in html
    assert app.test_client().get(f"/s/{b['sid']}/plate").status_code == 404
