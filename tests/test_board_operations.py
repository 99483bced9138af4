"""Every board operation with good and bad input. Bad input: a clear error, and nothing changes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conftest import facilitator_actor, join
from workshop.board import Actor, BoardError, apply_operation, board_snapshot
from workshop.models import BoardEvent, Card, Lane, Phase, WorkshopSession


@pytest.fixture
def board(db_session, facilitator, make_session):
    sid, _ = make_session(facilitator, formula="Ontwerp", with_cards=False)
    ws = db_session.get(WorkshopSession, sid)
    phases = db_session.scalars(select(Phase).where(Phase.session_id == sid).order_by(Phase.position)).all()
    lanes = {lane.kind: lane for lane in db_session.scalars(select(Lane).where(Lane.session_id == sid))}
    return ws, phases, lanes, facilitator_actor(facilitator)


def _state(s, sid):
    """Everything an operation could change, to show a refused one changed nothing."""
    snap = board_snapshot(s, s.get(WorkshopSession, sid))
    if isinstance(snap.get("timer"), dict):
        snap["timer"].pop("now", None)  # the server clock, not board state
    events = s.scalar(select(func.count(BoardEvent.id)).where(BoardEvent.session_id == sid))
    return snap, events


def apply(s, ws, actor, op):
    result = apply_operation(s, ws, actor, op)
    s.commit()
    return result


def test_card_lifecycle(db_session, board):
    ws, phases, lanes, actor = board
    r = apply(db_session, ws, actor, {"type": "card.add", "op_id": "a1", "phase_id": phases[0].id,
                                      "lane_id": lanes["innovations"].id, "title": "  Track & Trace ",
                                      "statement": "Ik zie steeds de voortgang.", "channels": ["website-dso", "sms"]})
    card = r.payload["card"]
    assert r.seq == 1 and card["title"] == "Track & Trace" and card["author"] == "Fien Facilitator"
    r = apply(db_session, ws, actor, {"type": "card.update", "id": card["id"], "statement": "Ik volg mijn aanvraag."})
    assert r.seq == 2 and r.payload["changes"] == {"statement": "Ik volg mijn aanvraag."}
    r = apply(db_session, ws, actor, {"type": "card.move", "id": card["id"], "phase_id": phases[2].id,
                                      "lane_id": lanes["backoffice"].id})
    stored = db_session.get(Card, card["id"])
    assert (stored.phase_id, stored.lane_id, stored.title) == (phases[2].id, lanes["backoffice"].id, "Track & Trace")
    apply(db_session, ws, actor, {"type": "card.delete", "id": card["id"]})
    assert db_session.get(Card, card["id"]) is None
    seqs = list(db_session.scalars(select(BoardEvent.seq).where(BoardEvent.session_id == ws.id).order_by(BoardEvent.seq)))
    assert seqs == [1, 2, 3, 4]


def test_card_from_library_entry_takes_its_text_and_channels(db_session, board):
    from workshop.models import LibraryEntry

    ws, phases, lanes, actor = board
    entry = db_session.scalars(select(LibraryEntry).where(LibraryEntry.name == "Webshop betaling")).one()
    r = apply(db_session, ws, actor, {"type": "card.add", "phase_id": phases[0].id, "lane_id": lanes["innovations"].id,
                                      "library_entry_id": entry.id})
    card = r.payload["card"]
    assert card["title"] == "Webshop betaling" and card["channels"] == ["website-dso"]
    # a board without formula: the canonical text, every sentence of it
    assert card["statement"] == "Ik zie een kostenoverzicht in de aanvraag. Ik betaal direct via iDEAL."
    assert card["library_entry_id"] == entry.id


def test_positions_within_a_cell(db_session, board):
    ws, phases, lanes, actor = board
    cell = {"phase_id": phases[0].id, "lane_id": lanes["innovations"].id}
    ids = [apply(db_session, ws, actor, {"type": "card.add", "title": t, **cell}).payload["card"]["id"]
           for t in ("A", "B", "C")]
    apply(db_session, ws, actor, {"type": "card.add", "title": "first", "index": 0, **cell})
    apply(db_session, ws, actor, {"type": "card.move", "id": ids[2], "index": 1, **cell})
    order = [c["title"] for c in board_snapshot(db_session, ws)["cards"]]
    assert order == ["first", "C", "A", "B"]
    # squeeze many cards between two neighbours: positions stay unique and the order holds
    for n in range(60):
        apply(db_session, ws, actor, {"type": "card.add", "title": f"x{n}", "index": 1, **cell})
    cards = board_snapshot(db_session, ws)["cards"]
    positions = [c["position"] for c in cards]
    assert len(set(positions)) == len(positions)
    assert [c["title"] for c in cards][:2] == ["first", "x59"] and [c["title"] for c in cards][-3:] == ["C", "A", "B"]


def test_phase_and_lane_operations(db_session, board):
    ws, phases, lanes, actor = board
    r = apply(db_session, ws, actor, {"type": "phase.add", "desired_name": "Knelpunt", "current_name": None,
                                      "statement": "Ik loop vast.", "index": 0})
    new = r.payload["phase"]
    assert board_snapshot(db_session, ws)["phases"][0]["id"] == new["id"]
    apply(db_session, ws, actor, {"type": "phase.update", "id": new["id"], "desired_name": "Oriëntatie",
                                  "current_name": "Zoeken"})
    apply(db_session, ws, actor, {"type": "phase.move", "id": new["id"], "index": 2})
    snap = board_snapshot(db_session, ws)
    assert snap["phases"][2]["desired_name"] == "Oriëntatie" and snap["phases"][2]["current_name"] == "Zoeken"
    apply(db_session, ws, actor, {"type": "card.add", "phase_id": new["id"], "lane_id": lanes["current"].id,
                                  "title": "Te veel formulieren"})
    r = apply(db_session, ws, actor, {"type": "phase.delete", "id": new["id"]})
    assert len(r.payload["card_ids"]) == 1
    assert db_session.scalar(select(func.count(Card.id)).where(Card.session_id == ws.id)) == 0
    r = apply(db_session, ws, actor, {"type": "lane.add", "name": "Knelpunten"})
    lane = r.payload["lane"]
    assert lane["kind"] == "custom"
    apply(db_session, ws, actor, {"type": "lane.update", "id": lane["id"], "name": "Knelpunten & wensen"})
    apply(db_session, ws, actor, {"type": "lane.move", "id": lane["id"], "index": 1})
    snap = board_snapshot(db_session, ws)
    assert snap["lanes"][1]["name"] == "Knelpunten & wensen"
    apply(db_session, ws, actor, {"type": "lane.delete", "id": lane["id"]})
    assert len(board_snapshot(db_session, ws)["lanes"]) == 4


def test_duplicate_op_id_is_applied_once(db_session, board):
    ws, phases, lanes, actor = board
    op = {"type": "card.add", "op_id": "same-1", "phase_id": phases[0].id, "lane_id": lanes["innovations"].id,
          "title": "Eén keer"}
    first = apply(db_session, ws, actor, dict(op))
    again = apply(db_session, ws, actor, dict(op))
    assert again.duplicate and again.seq == first.seq
    assert db_session.scalar(select(func.count(Card.id)).where(Card.title == "Eén keer")) == 1


BAD = [
    ({"type": "card.add", "title": ""}, "missing_field"),
    ("not an object", "malformed"),
    ({"title": "no type"}, "missing_field"),
    ({"type": "card.explode"}, "unknown_type"),
]


@pytest.mark.parametrize("make_op,code", [
    (lambda p, l: {"type": "card.add", "phase_id": p, "lane_id": l, "title": "   "}, "empty"),
    (lambda p, l: {"type": "card.add", "phase_id": p, "lane_id": l}, "missing_field"),
    (lambda p, l: {"type": "card.add", "phase_id": p, "lane_id": l, "title": "x" * 201}, "too_long"),
    (lambda p, l: {"type": "card.add", "phase_id": p, "lane_id": l, "title": "ok", "statement": "s" * 501}, "too_long"),
    (lambda p, l: {"type": "card.add", "phase_id": p, "lane_id": l, "title": 42}, "wrong_type"),
    (lambda p, l: {"type": "card.add", "phase_id": "1", "lane_id": l, "title": "ok"}, "wrong_type"),
    (lambda p, l: {"type": "card.add", "phase_id": 999999, "lane_id": l, "title": "ok"}, "unknown_phase"),
    (lambda p, l: {"type": "card.add", "phase_id": p, "lane_id": 999999, "title": "ok"}, "unknown_lane"),
    (lambda p, l: {"type": "card.add", "phase_id": p, "lane_id": l, "title": "ok", "channels": ["fax"]}, "unknown_channel"),
    (lambda p, l: {"type": "card.add", "phase_id": p, "lane_id": l, "title": "ok", "channels": "sms"}, "wrong_type"),
    (lambda p, l: {"type": "card.add", "phase_id": p, "lane_id": l, "title": "ok", "index": -1}, "out_of_range"),
    (lambda p, l: {"type": "card.add", "phase_id": p, "lane_id": l, "title": "ok", "library_entry_id": 999999}, "unknown_library_entry"),
    (lambda p, l: {"type": "card.update", "id": 999999, "title": "x"}, "unknown_card"),
    (lambda p, l: {"type": "card.delete", "id": 999999}, "unknown_card"),
    (lambda p, l: {"type": "card.move", "id": 999999, "phase_id": p}, "unknown_card"),
    (lambda p, l: {"type": "phase.add", "desired_name": ""}, "empty"),
    (lambda p, l: {"type": "phase.add", "desired_name": "x" * 121}, "too_long"),
    (lambda p, l: {"type": "phase.update", "id": p}, "missing_field"),
    (lambda p, l: {"type": "phase.move", "id": p, "index": True}, "wrong_type"),
    (lambda p, l: {"type": "lane.add", "name": "L", "kind": "weird"}, "wrong_type"),
    (lambda p, l: {"type": "lane.update", "id": l, "name": None}, "missing_field"),
    (lambda p, l: {"type": "nonsense"}, "unknown_type"),
    (lambda p, l: ["card.add"], "malformed"),
])
def test_bad_input_changes_nothing(db_session, board, make_op, code):
    ws, phases, lanes, actor = board
    before = _state(db_session, ws.id)
    with pytest.raises(BoardError) as info:
        apply_operation(db_session, ws, actor, make_op(phases[0].id, lanes["innovations"].id))
    db_session.rollback()
    assert info.value.code == code
    assert info.value.as_dict()["message"]
    assert _state(db_session, ws.id) == before


def test_another_sessions_card_phase_and_lane_are_out_of_reach(db_session, board, facilitator, make_session):
    ws, phases, lanes, actor = board
    other_id, _ = make_session(facilitator, formula="Toezicht")
    other_phase = db_session.scalars(select(Phase).where(Phase.session_id == other_id)).first()
    other_lane = db_session.scalars(select(Lane).where(Lane.session_id == other_id)).first()
    other = db_session.get(WorkshopSession, other_id)
    foreign = apply(db_session, other, actor, {"type": "card.add", "phase_id": other_phase.id,
                                               "lane_id": other_lane.id, "title": "Van een ander"}).payload["card"]
    before = _state(db_session, ws.id), _state(db_session, other_id)
    for op in ({"type": "card.update", "id": foreign["id"], "title": "gekaapt"},
               {"type": "card.delete", "id": foreign["id"]},
               {"type": "card.move", "id": foreign["id"], "phase_id": phases[0].id, "lane_id": lanes["current"].id},
               {"type": "card.add", "phase_id": other_phase.id, "lane_id": lanes["current"].id, "title": "x"},
               {"type": "phase.delete", "id": other_phase.id},
               {"type": "phase.update", "id": other_phase.id, "desired_name": "gekaapt"},
               {"type": "lane.update", "id": other_lane.id, "name": "x"}):
        with pytest.raises(BoardError) as info:
            apply_operation(db_session, ws, actor, op)
        db_session.rollback()
        assert info.value.status == 404
    assert (_state(db_session, ws.id), _state(db_session, other_id)) == before


def test_participant_permissions(db_session, board, app):
    from workshop.sessions import join_session

    ws, phases, lanes, actor = board
    p, _ = join_session(db_session, ws, "Piet")
    q, _ = join_session(db_session, ws, "Quinta")
    db_session.commit()
    piet, quinta = Actor("participant", p.id, "Piet"), Actor("participant", q.id, "Quinta")
    cell = {"phase_id": phases[0].id, "lane_id": lanes["innovations"].id}
    card = apply(db_session, ws, piet, {"type": "card.add", "title": "Van Piet", **cell}).payload["card"]
    # structure deletes are for the facilitator
    with pytest.raises(BoardError) as info:
        apply_operation(db_session, ws, piet, {"type": "phase.delete", "id": phases[0].id})
    assert info.value.status == 403
    db_session.rollback()
    # by default everyone may edit every card
    apply(db_session, ws, quinta, {"type": "card.update", "id": card["id"], "title": "Door Quinta"})
    # with edit_policy 'own' only the author (and the facilitator) may
    ws.edit_policy = "own"
    db_session.commit()
    with pytest.raises(BoardError) as info:
        apply_operation(db_session, ws, quinta, {"type": "card.update", "id": card["id"], "title": "Weer Quinta"})
    assert info.value.code == "not_owner"
    db_session.rollback()
    apply(db_session, ws, piet, {"type": "card.update", "id": card["id"], "title": "Weer Piet"})
    apply(db_session, ws, actor, {"type": "card.update", "id": card["id"], "title": "Facilitator"})
    # a locked board is read-only for participants
    ws.locked = True
    db_session.commit()
    with pytest.raises(BoardError) as info:
        apply_operation(db_session, ws, piet, {"type": "card.add", "title": "x", **cell})
    assert info.value.code == "locked"
    db_session.rollback()
    apply(db_session, ws, actor, {"type": "card.add", "title": "Facilitator mag", **cell})


def test_a_removed_participant_can_change_nothing_and_another_sessions_participant_neither(
        db_session, board, facilitator, make_session):
    """The membership check sits in apply_operation itself: HTTP and websocket alike."""
    from workshop.db import utcnow
    from workshop.sessions import join_session

    other_id = make_session(facilitator, formula="Ontwerp", with_cards=False)[0]
    ws, phases, lanes, actor = board
    ws = db_session.get(WorkshopSession, ws.id)
    cell = {"phase_id": phases[0].id, "lane_id": lanes["innovations"].id}
    p, _ = join_session(db_session, ws, "Piet")
    stranger, _ = join_session(db_session, db_session.get(WorkshopSession, other_id), "Vreemde")
    db_session.commit()
    piet = Actor("participant", p.id, "Piet")
    card = apply(db_session, ws, piet, {"type": "card.add", "title": "Nog van Piet", **cell}).payload["card"]
    p.removed_at = utcnow()
    db_session.commit()
    before = _state(db_session, ws.id)
    for who in (piet, Actor("participant", stranger.id, "Vreemde")):
        for op in ({"type": "card.add", "title": "Te laat", **cell}, {"type": "card.delete", "id": card["id"]}):
            with pytest.raises(BoardError) as info:
                apply_operation(db_session, ws, who, op)
            assert (info.value.code, info.value.status) == ("removed", 403)
            db_session.rollback()
    assert _state(db_session, ws.id) == before


def test_http_operations_endpoint(app, facilitator, make_session, db_session):
    sid, code = make_session(facilitator, formula="Ontwerp")
    phase = db_session.scalars(select(Phase).where(Phase.session_id == sid)).first()
    lane = db_session.scalars(select(Lane).where(Lane.session_id == sid, Lane.kind == "innovations")).one()
    p = app.test_client()
    join(p, code, "Piet")
    res = p.post(f"/api/sessions/{sid}/operations", json={"type": "card.add", "op_id": "o1", "phase_id": phase.id,
                                                          "lane_id": lane.id, "title": "<script>alert(1)</script>"})
    assert res.status_code == 200
    body = res.get_json()
    assert body["seq"] == 1 and body["event"]["data"]["card"]["author"] == "Piet"
    res = p.post(f"/api/sessions/{sid}/operations", json={"type": "card.add", "op_id": "o2", "phase_id": phase.id,
                                                          "lane_id": lane.id, "title": ""})
    assert res.status_code == 400
    err = res.get_json()
    assert err["error"]["code"] == "empty" and err["op_id"] == "o2"
    assert "mag niet leeg zijn" in err["error"]["message"]  # Dutch by default
    res = p.post(f"/api/sessions/{sid}/operations", data="{not json", content_type="application/json")
    assert res.status_code == 400
    page = p.get(f"/s/{sid}").data.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_card_added_offline_can_be_edited_moved_and_deleted_by_its_add_operation_id(db_session, board):
    ws, phases, lanes, actor = board
    cell = {"phase_id": phases[0].id, "lane_id": lanes["innovations"].id}
    added = apply(db_session, ws, actor, {"type": "card.add", "op_id": "f1-offline-1", "title": "Typfout", **cell})
    card_id = added.payload["card"]["id"]
    r = apply(db_session, ws, actor, {"type": "card.update", "op_id": "f1-offline-2", "card_op": "f1-offline-1",
                                      "title": "Geen typfout"})
    assert r.payload["id"] == card_id and db_session.get(Card, card_id).title == "Geen typfout"
    r = apply(db_session, ws, actor, {"type": "card.move", "card_op": "f1-offline-1", "phase_id": phases[1].id})
    assert r.payload["id"] == card_id and db_session.get(Card, card_id).phase_id == phases[1].id
    # an add that never happened, or another kind of operation's id: the card is unknown
    for ref in ("nooit-verstuurd", "f1-offline-2"):
        before = _state(db_session, ws.id)
        with pytest.raises(BoardError) as info:
            apply_operation(db_session, ws, actor, {"type": "card.update", "card_op": ref, "title": "Nee"})
        assert info.value.code == "unknown_card"
        db_session.rollback()
        assert _state(db_session, ws.id) == before
    apply(db_session, ws, actor, {"type": "card.delete", "card_op": "f1-offline-1"})
    assert db_session.get(Card, card_id) is None
