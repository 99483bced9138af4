"""The same board operations on PostgreSQL, including concurrent writers to one session."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from conftest import make_test_app
from workshop.accounts import create_facilitator
from workshop.board import Actor, apply_operation, board_snapshot
from workshop.db import db
from workshop.migrate import upgrade
from workshop.models import BoardEvent, Card, Lane, Phase, WorkshopSession
from workshop.seed import load_seed
from workshop.sessions import create_session, find_formula


@pytest.mark.postgres
def test_board_on_postgresql_with_concurrent_writers(pg_url):
    upgrade(pg_url)
    app = make_test_app(pg_url)
    with app.app_context():
        load_seed(db.session)
        fac = create_facilitator(db.session, "pg@gemeente.nl", "een-lang-wachtwoord", "PG")
        ws = create_session(db.session, fac.id, title="PG", formula=find_formula(db.session, "Ontwerp"),
                            with_cards=True)
        db.session.commit()
        sid = ws.id
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
                    apply_operation(db.session, sid, Actor("facilitator", fac.id, f"w{n}"),
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
