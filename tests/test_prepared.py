"""The board's hot statements run on the driver's cursor (workshop/board/prepared.py): what they
store and read is exactly what SQLAlchemy's own execution stores and reads, on both databases."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import bindparam, insert, select

from conftest import pg_board
from workshop.board.prepared import Prepared
from workshop.db import db
from workshop.models import Card, Lane, Phase, WorkshopSession

CARDS = Card.__table__
INSERT = Prepared(insert(CARDS).values({k: bindparam(k, type_=CARDS.c[k].type) for k in (
    "session_id", "phase_id", "lane_id", "position", "title", "statement", "channels", "author_name", "votes",
    "created_at", "updated_at")}).returning(CARDS.c.id))
READ = select(CARDS.c.id, CARDS.c.position, CARDS.c.title, CARDS.c.channels, CARDS.c.created_at,
              CARDS.c.author_participant_id).where(CARDS.c.session_id == bindparam("sid")).order_by(CARDS.c.id)


def _same_as_sqlalchemy(app, session_id):
    when = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=timezone.utc).replace(tzinfo=None)
    with app.app_context():
        phase = db.session.scalars(select(Phase.id).where(Phase.session_id == session_id)).first()
        lane = db.session.scalars(select(Lane.id).where(Lane.session_id == session_id)).first()
        conn = db.session.connection()
        new_id = INSERT.first(conn, {"session_id": session_id, "phase_id": phase, "lane_id": lane, "position": 2.5,
                                     "title": "Track & Trace “nu”", "statement": "Ik zie 100% de voortgang.",
                                     "channels": ["E-mail", "Website (gemeente)"], "author_name": "Piet",
                                     "votes": 0, "created_at": when, "updated_at": when}).id
        mine = Prepared(READ).rows(conn, {"sid": session_id})
        theirs = conn.execute(READ, {"sid": session_id}).all()
        db.session.commit()
        assert [tuple(r) for r in mine] == [tuple(r) for r in theirs]
        assert mine[-1].id == new_id and mine[-1].author_participant_id is None
        card = db.session.get(Card, new_id)  # the ORM reads back what the driver stored
        assert (card.position, card.title, card.channels) == (2.5, "Track & Trace “nu”", ["E-mail", "Website (gemeente)"])
        assert card.created_at.replace(tzinfo=None) == when
        db.session.remove()


def test_prepared_statements_store_and_read_as_sqlalchemy_does_on_sqlite(app, facilitator, make_session):
    session_id, _code = make_session(facilitator, formula="ontwerp", with_cards=True)
    _same_as_sqlalchemy(app, session_id)


@pytest.mark.postgres
def test_prepared_statements_store_and_read_as_sqlalchemy_does_on_postgresql(pg_url):
    app, _fac, session_id = pg_board(pg_url, "prep@gemeente.nl")
    _same_as_sqlalchemy(app, session_id)
    with app.app_context():
        db.engine.dispose()


def test_a_statement_that_expands_parameters_is_refused(app):
    with app.app_context():
        stmt = Prepared(select(WorkshopSession.id).where(WorkshopSession.id.in_(bindparam("ids", expanding=True))))
        with pytest.raises(ValueError):
            stmt.rows(db.session.connection(), {"ids": [1, 2]})
        db.session.remove()
