"""The same board operations on PostgreSQL, including concurrent writers to one session."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from conftest import pg_board
from workshop.board import Actor, apply_operation, board_snapshot
from workshop.db import db
from workshop.models import BoardEvent, Card, Lane, Phase, WorkshopSession


@pytest.mark.postgres
def test_board_on_postgresql_with_concurrent_writers(pg_url):
    app, fac_id, sid = pg_board(pg_url, "pg@gemeente.nl")
    with app.app_context():
        phase = db.session.scalars(select(Phase).where(Phase.session_id == sid)).first()
        lane = db.session.scalars(select(Lane).where(Lane.session_id == sid, Lane.kind == "innovations")).one()
        cell = {"phase_id": phase.id, "lane_id": lane.id}
        before = db.session.scalar(select(func.count(Card.id)).where(Card.session_id == sid))
        db.session.remove()

    errors = []

    def writer(n):
        with app.app_context():
            try:
                for i in range(10):
                    apply_operation(db.session, sid, Actor("facilitator", fac_id, f"w{n}"),
                                    {"type": "card.add", "op_id": f"w{n}-{i}", "title": f"Kaart {n}.{i}",
                                     "index": 0, **cell})
                    db.session.commit()
            except Exception as err:  # pragma: no cover - reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        seqs = list(db.session.scalars(select(BoardEvent.seq).where(BoardEvent.session_id == sid)
                                       .order_by(BoardEvent.seq)))
        assert seqs == list(range(1, 61))  # one total order, no gaps, no duplicates
        cards = db.session.scalars(select(Card).where(Card.session_id == sid, Card.phase_id == phase.id,
                                                      Card.lane_id == lane.id)).all()
        positions = [c.position for c in cards]
        assert len(set(positions)) == len(positions)
        assert db.session.scalar(select(func.count(Card.id)).where(Card.session_id == sid)) == before + 60
        snap = board_snapshot(db.session, db.session.get(WorkshopSession, sid))
        assert snap["seq"] == 60
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
def test_operations_that_waited_for_another_writers_lock_see_what_it_stored(pg_url):
    """A resend of an operation another process is storing right now is recognised as a duplicate, an
    edit of a card that process deletes is refused, and so is an operation of the participant it
    removes, although all three were read while it held the lock."""
    from sqlalchemy import create_engine, text

    from workshop.board import BoardError

    app, fac_id, sid = pg_board(pg_url, "lock@gemeente.nl")
    with app.app_context():
        phase = db.session.scalars(select(Phase).where(Phase.session_id == sid)).first()
        lane = db.session.scalars(select(Lane).where(Lane.session_id == sid, Lane.kind == "innovations")).one()
        cell = {"phase_id": phase.id, "lane_id": lane.id}
        doomed = db.session.scalars(select(Card.id).where(Card.session_id == sid)).first()
        db.session.remove()
    actor = Actor("facilitator", fac_id, "Lock")
    with app.app_context():
        from workshop.sessions import join_session

        piet, _token = join_session(db.session, db.session.get(WorkshopSession, sid), "Piet")
        db.session.commit()
        piet = Actor("participant", piet.id, "Piet")
        db.session.remove()
    holding, release = threading.Event(), threading.Event()
    results, errors = {}, {}

    def first():
        with app.app_context():
            try:
                results["add"] = apply_operation(db.session, sid, actor, {"type": "card.add", "op_id": "x",
                                                                          "title": "Eén keer", **cell})
                apply_operation(db.session, sid, actor, {"type": "card.delete", "op_id": "d", "id": doomed})
                apply_operation(db.session, sid, actor, {"type": "participant.remove", "op_id": "r", "id": piet.id})
                holding.set()
                assert release.wait(20)
                db.session.commit()
            finally:
                db.session.remove()

    def later(name, op, who=actor):
        with app.app_context():
            try:
                results[name] = apply_operation(db.session, sid, who, op)
                db.session.commit()
            except BoardError as err:
                errors[name] = err.code
            finally:
                db.session.remove()

    a = threading.Thread(target=first)
    a.start()
    assert holding.wait(20)
    waiters = [threading.Thread(target=later, args=("resend", {"type": "card.add", "op_id": "x", "title": "Eén keer",
                                                              **cell})),
               threading.Thread(target=later, args=("edit", {"type": "card.update", "op_id": "e", "id": doomed,
                                                            "title": "Te laat"})),
               threading.Thread(target=later, args=("removed", {"type": "card.add", "op_id": "p", "title": "Van Piet",
                                                               **cell}, piet))]
    for t in waiters:
        t.start()
    probe = create_engine(pg_url)
    with probe.connect() as conn:  # all three wait for the session row's lock
        for _ in range(200):
            n = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                  "AND datname = current_database()")).scalar()
            if n >= 3:
                break
            threading.Event().wait(0.05)
        assert n >= 3
    probe.dispose()
    release.set()
    for t in [a, *waiters]:
        t.join(30)
    assert results["resend"].duplicate and results["resend"].seq == results["add"].seq
    assert errors == {"edit": "unknown_card", "removed": "removed"}
    with app.app_context():
        assert db.session.scalar(select(func.count(Card.id)).where(Card.session_id == sid,
                                                                   Card.title == "Eén keer")) == 1
        db.session.remove()
        db.engine.dispose()
