"""Property-based tests (Hypothesis): random valid and invalid operations never break a board.

Several actors (the facilitator and participants) send random sequences of
operations, some well-formed, some hostile (wrong types, huge numbers, other
sessions' ids, unknown types, replayed op_ids). After every step:

- every card is in an existing phase and lane of its own session;
- positions are unique per cell (cards), per board (phases, lanes) and per plate heading;
- the event log is 1..n without gaps and matches the session's ``seq``;
- votes stay within the round's budget per participant and the limit per card;
- a refused or replayed operation changed nothing at all.

The websocket version sends the same kind of sequences from several
``WsClient``s and checks that every client converges to the server snapshot.
"""
from __future__ import annotations

import uuid
from collections import Counter

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from workshop.board import Actor, BoardError, apply_operation, board_snapshot
from workshop.board.operations import HANDLERS
from workshop.db import Base
from workshop.db import db as database
from workshop.models import BoardEvent, Card, Channel, Lane, Phase, Vote, VoteRound, WorkshopSession
from workshop.sessions import join_session

EXAMPLES = 25
STEPS = 30

HOSTILE_VALUES = st.one_of(
    st.none(), st.booleans(), st.just(10**100), st.just(-1), st.integers(min_value=-2**40, max_value=2**40),
    st.floats(allow_nan=True), st.text(max_size=5), st.just([]), st.just({"a": [1]}), st.just("1"),
)


def _session_tables():
    return [t for t in Base.metadata.sorted_tables if "session_id" in t.columns]


def _dump(s, sid) -> dict:
    """Every row that belongs to the session, in a comparable form."""
    out = {}
    for table in _session_tables():
        rows = s.execute(select(table).where(table.c.session_id == sid)).all()
        out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    ws = s.execute(select(WorkshopSession.__table__).where(WorkshopSession.id == sid)).one()
    out["workshop_session"] = tuple(map(repr, ws))
    rounds = [r.id for r in s.scalars(select(VoteRound).where(VoteRound.session_id == sid))]
    out["vote"] = sorted(tuple(map(repr, r)) for r in s.execute(
        select(Vote.__table__).where(Vote.vote_round_id.in_(rounds))).all()) if rounds else []
    return out


def check_invariants(s, sid) -> None:
    phases = {p.id: p for p in s.scalars(select(Phase).where(Phase.session_id == sid))}
    lanes = {lane.id: lane for lane in s.scalars(select(Lane).where(Lane.session_id == sid))}
    cards = s.scalars(select(Card).where(Card.session_id == sid)).all()
    for c in cards:
        assert c.phase_id in phases and c.lane_id in lanes, f"card {c.id} outside the grid"
    cells = Counter((c.phase_id, c.lane_id, c.position) for c in cards)
    assert max(cells.values(), default=1) == 1, "two cards share a position in one cell"
    assert len({p.position for p in phases.values()}) == len(phases), "phase positions collide"
    assert len({lane.position for lane in lanes.values()}) == len(lanes), "lane positions collide"
    from workshop.models import PlateItem
    items = s.scalars(select(PlateItem).where(PlateItem.session_id == sid)).all()
    assert max(Counter((i.section, i.heading, i.position) for i in items).values(), default=1) == 1

    seqs = s.scalars(select(BoardEvent.seq).where(BoardEvent.session_id == sid).order_by(BoardEvent.seq)).all()
    ws = s.get(WorkshopSession, sid)
    assert seqs == list(range(1, len(seqs) + 1)), "event log has gaps"
    assert (ws.seq or 0) == len(seqs)

    card_ids = {c.id for c in cards}
    for rnd in s.scalars(select(VoteRound).where(VoteRound.session_id == sid)):
        votes = s.scalars(select(Vote).where(Vote.vote_round_id == rnd.id)).all()
        per_person = Counter()
        for vote in votes:
            assert vote.card_id in card_ids
            assert 1 <= vote.count <= rnd.max_per_card, "more votes on one card than allowed"
            per_person[vote.participant_id] += vote.count
        assert max(per_person.values(), default=0) <= rnd.votes_per_participant, "budget exceeded"


def _ids(s, model, sid):
    return list(s.scalars(select(model.id).where(model.session_id == sid).order_by(model.id)))


@st.composite
def operation(draw, s, sid, channels, op_ids):
    """One operation: mostly plausible, sometimes hostile."""
    cards, phases, lanes = _ids(s, Card, sid), _ids(s, Phase, sid), _ids(s, Lane, sid)

    hostile = draw(st.integers(0, 3)) == 0  # one operation in four is meant to be refused
    good_text = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), max_size=30).filter(
        lambda t: t.strip())

    def ref(ids):
        if ids and not hostile:
            return draw(st.sampled_from(ids))
        return draw(st.one_of(HOSTILE_VALUES, st.just(10**6), *([st.sampled_from(ids)] if ids else [])))

    def words():
        if not hostile:
            return draw(st.one_of(good_text, st.just("<script>x</script>")))
        return draw(st.one_of(st.just(""), st.text(min_size=201, max_size=210), HOSTILE_VALUES, good_text))

    kind = draw(st.sampled_from(["card.add"] * 4 + ["card.update", "card.move"] * 3 + [
        "card.delete", "phase.add", "phase.update", "phase.move", "phase.delete", "lane.add", "lane.update",
        "lane.move", "lane.delete", "vote.open", "vote.cast", "vote.cast", "vote.retract", "vote.reveal",
        "vote.close", "session.settings", "plate.add", "plate.move", "unknown.type", "hostile"]))
    op: dict = {}
    if kind == "hostile":
        op = {"type": draw(st.one_of(st.sampled_from(sorted(HANDLERS)), HOSTILE_VALUES))}
        for key in draw(st.lists(st.sampled_from(["id", "card_id", "phase_id", "lane_id", "title", "index",
                                                  "channels", "op_id", "locked"]), max_size=4)):
            op[key] = draw(HOSTILE_VALUES)
        return op
    op["type"] = kind
    index = lambda: draw(st.one_of(st.none(), st.integers(0, 40)) if not hostile else  # noqa: E731
                         st.one_of(st.integers(-2, 40), st.just(10**100), HOSTILE_VALUES))
    if kind == "card.add":
        op.update(phase_id=ref(phases), lane_id=ref(lanes), title=words(), index=index(),
                  channels=draw(st.lists(st.sampled_from(channels), max_size=3) if not hostile else
                                st.one_of(st.lists(st.sampled_from(channels + ["faxx"]), max_size=3),
                                          HOSTILE_VALUES)))
    elif kind in ("card.update",):
        op.update(id=ref(cards), title=words())
    elif kind == "card.move":
        op.update(id=ref(cards), phase_id=ref(phases), lane_id=ref(lanes), index=index())
    elif kind in ("card.delete", "phase.delete", "lane.delete"):
        op.update(id=ref({"card.delete": cards, "phase.delete": phases, "lane.delete": lanes}[kind]))
    elif kind == "phase.add":
        op.update(desired_name=words(), index=index())
    elif kind == "phase.update":
        op.update(id=ref(phases), desired_name=words())
    elif kind in ("phase.move", "lane.move"):
        op.update(id=ref(phases if kind == "phase.move" else lanes), index=index())
    elif kind == "lane.add":
        op.update(name=words(), index=index())
    elif kind == "lane.update":
        op.update(id=ref(lanes), name=words())
    elif kind == "vote.open":
        op.update(lane_id=ref(lanes), votes_per_participant=draw(st.one_of(st.integers(1, 5), HOSTILE_VALUES)))
    elif kind in ("vote.cast", "vote.retract"):
        op.update(card_id=ref(cards))
    elif kind == "session.settings":
        op.update(locked=draw(st.one_of(st.booleans(), HOSTILE_VALUES)))
    elif kind == "plate.add":
        op.update(heading=draw(st.sampled_from(["Beleving", "Toegang"])), text=words(), index=index())
    elif kind == "plate.move":
        op.update(id=draw(st.integers(1, 20)), heading="Prijs", index=index())
    if draw(st.integers(0, 9)) == 0 and op_ids:
        op["op_id"] = draw(st.sampled_from(op_ids))  # a replay
    elif draw(st.booleans()):
        op["op_id"] = uuid.uuid4().hex
    return op


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_operations_keep_the_board_consistent(app, facilitator, make_session, data):
    sid, _ = make_session(facilitator, formula="ontwerp", with_cards=data.draw(st.booleans()))
    with app.app_context():
        s = database.session
        ws = s.get(WorkshopSession, sid)
        people = [join_session(s, ws, name)[0] for name in ("Piet", "Els")]
        s.commit()
        actors = [Actor("facilitator", facilitator, "Fien")] + [
            Actor("participant", p.id, p.display_name) for p in people]
        channels = list(s.scalars(select(Channel.slug)))
        op_ids: list[str] = []
        applied = refused = 0
        for _ in range(data.draw(st.integers(1, STEPS))):
            actor = data.draw(st.sampled_from(actors))
            op = data.draw(operation(s, sid, channels, op_ids))
            s.rollback()
            before = _dump(s, sid)
            try:
                result = apply_operation(s, sid, actor, op)
                s.commit()
            except BoardError:
                s.rollback()
                refused += 1
                assert _dump(s, sid) == before, f"refused {op!r} changed the board"
            else:
                if result.duplicate:
                    assert _dump(s, sid) == before, "a replayed op_id applied twice"
                else:
                    applied += 1
                    if result.op_id:
                        op_ids.append(result.op_id)
            check_invariants(s, sid)
        event(f"applied {min(applied, 10) // 5 * 5}+ of {applied + refused}")
        s.rollback()
        # the snapshot agrees with the tables
        snap = board_snapshot(s, s.get(WorkshopSession, sid), actors[0])
        assert {c["id"] for c in snap["cards"]} == set(_ids(s, Card, sid))
        assert snap["seq"] == s.get(WorkshopSession, sid).seq
        s.rollback()


# ---------------------------------------------------------------------------
# the same over websockets: several clients converge to the server's board


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_websocket_clients_converge_to_the_server_snapshot(app, facilitator, make_session, data):
    from conftest import join, login
    from live_server import LiveServer, WsClient, http_client, session_cookie

    sid, code = make_session(facilitator, formula="ontwerp", with_cards=True)
    fac_http = http_client(app)
    login(fac_http)
    cookies = [session_cookie(fac_http)]
    for name in ("Piet", "Els"):
        c = http_client(app)
        join(c, code, name)
        cookies.append(session_cookie(c))
    with app.app_context():
        initial = {c.id: {"phase_id": c.phase_id, "lane_id": c.lane_id, "title": c.title}
                   for c in database.session.scalars(select(Card).where(Card.session_id == sid))}
        database.session.rollback()
    with LiveServer(app) as server:
        clients = [WsClient(server.ws_url(sid), cookie=cookie) for cookie in cookies]
        try:
            with app.app_context():
                s = database.session
                channels = list(s.scalars(select(Channel.slug)))
                for _ in range(data.draw(st.integers(5, 20))):
                    client = data.draw(st.sampled_from(clients))
                    op = data.draw(operation(s, sid, channels, []))
                    s.rollback()
                    op_id = uuid.uuid4().hex
                    op["op_id"] = op_id
                    client.send({"type": "op", "op": op})
                    reply = client.reply_to(op_id)
                    assert reply["type"] in ("ack", "error"), reply
                    if reply["type"] == "error":
                        assert reply.get("code") and reply.get("message")
                check_invariants(s, sid)
                final = s.get(WorkshopSession, sid).seq
                fac_snapshot = board_snapshot(s, s.get(WorkshopSession, sid),
                                              Actor("facilitator", facilitator, "Fien"))
                s.rollback()
            for client in clients:
                client.wait_seq(final)
                assert client.seq == final
            # replaying each client's events gives the server's set of cards
            expected = {c["id"]: {"phase_id": c["phase_id"], "lane_id": c["lane_id"], "title": c["title"]}
                        for c in fac_snapshot["cards"]}
            for client in clients:
                assert _replay_cards(client, initial) == expected
        finally:
            for client in clients:
                client.close()


def _replay_cards(client, initial: dict) -> dict:
    """The cards a client holds: the board it started from plus every event it received, in order."""
    cards = {cid: dict(c) for cid, c in initial.items()}
    seen = 0
    for frame in client.frames:
        if frame.get("type") == "snapshot":
            cards = {c["id"]: {"phase_id": c["phase_id"], "lane_id": c["lane_id"], "title": c["title"]}
                     for c in frame["snapshot"]["cards"]}
            seen = frame["seq"]
        elif frame.get("type") == "event" and frame["seq"] > seen:
            assert frame["seq"] == seen + 1, "a client skipped an event"
            seen = frame["seq"]
            ev, d = frame["event"], frame["data"]
            if ev == "card.add":
                c = d["card"]
                cards[c["id"]] = {"phase_id": c["phase_id"], "lane_id": c["lane_id"], "title": c["title"]}
            elif ev == "card.update" and "title" in d["changes"]:
                cards[d["id"]]["title"] = d["changes"]["title"]
            elif ev == "card.move":
                cards[d["id"]].update(phase_id=d["phase_id"], lane_id=d["lane_id"])
            elif ev == "card.delete":
                cards.pop(d["id"], None)
            elif ev in ("phase.delete", "lane.delete"):
                for cid in d["card_ids"]:
                    cards.pop(cid, None)
    return cards
