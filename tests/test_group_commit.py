"""Group commit: the operations queued for one session's writer are stored in one transaction,
acknowledged only after it, and one bad operation never takes the others down."""
from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from tests.conftest import facilitator_actor
from workshop.board import BoardError
from workshop.db import CoreUnit, db
from workshop.live.writer import Job, SessionWriter
from workshop.models import BoardEvent, Card, Lane, Phase


class RecordingHub:
    """Stands in for the hub's fan-out only: what was published, in order."""

    def __init__(self):
        self.published = []

    def publish(self, session_id, message):
        self.published.append(message["seq"])
        return f"event {message['seq']}"

    def publish_many(self, session_id, messages):
        return [self.publish(session_id, m) for m in messages]


def _board(app, facilitator, make_session):
    """A fresh Ontwerp session: its id, the facilitator as actor, and a cell to add cards to."""
    session_id, _code = make_session(facilitator, formula="ontwerp")
    with app.app_context():
        phase = db.session.scalars(select(Phase).where(Phase.session_id == session_id)).first()
        lane = db.session.scalars(select(Lane).where(Lane.session_id == session_id,
                                                     Lane.kind == "innovations")).one()
        db.session.remove()
    return session_id, facilitator_actor(facilitator), {"phase_id": phase.id, "lane_id": lane.id}


@contextmanager
def _commits():
    """Counts the transactions the writer commits (each through a CoreUnit)."""
    count = [0]
    real = CoreUnit.commit

    def counted(unit):
        real(unit)
        count[0] += 1

    CoreUnit.commit = counted
    try:
        yield count
    finally:
        CoreUnit.commit = real


def test_a_queue_of_operations_is_one_transaction_and_a_bad_one_is_refused_alone(app, facilitator, make_session):
    session_id, actor, cell = _board(app, facilitator, make_session)
    hub = RecordingHub()
    with app.app_context():
        good = [Job(actor, {"type": "card.add", "op_id": f"g{i}", "title": f"Kaart {i}", **cell}, None)
                for i in range(8)]
        writer = SessionWriter(session_id)
        with _commits() as count:
            writer._queue.extend(good)  # eight laptops sent at once: all queued while the writer was busy
            writer._active = True
            writer._drain(db.engine, hub, good[0])
        assert count[0] == 1  # one transaction for the eight
        seqs = [job.outcome().seq for job in good]
        assert seqs == sorted(seqs) and seqs == list(range(seqs[0], seqs[0] + 8))
        assert hub.published == seqs  # published after the commit, in seq order
        assert [job.text for job in good] == [f"event {s}" for s in seqs]

        # a batch with an operation on a card that does not exist: the others are stored, it is refused
        bad = Job(actor, {"type": "card.delete", "op_id": "b1", "id": 999_999}, None)
        more = [Job(actor, {"type": "card.add", "op_id": f"m{i}", "title": f"Meer {i}", **cell}, None)
                for i in range(3)]
        with _commits() as count:
            writer._queue.extend([more[0], bad, more[1], more[2]])
            writer._active = True
            writer._drain(db.engine, hub, more[0])
        assert count[0] == 1  # a card operation is refused before it writes: the batch goes on without it
        with pytest.raises(BoardError) as refused:
            bad.outcome()
        assert refused.value.code == "unknown_card"
        assert [job.outcome().seq for job in more] == list(range(seqs[-1] + 1, seqs[-1] + 4))

        # any other refusal: the batch is rolled back and applied again one by one
        wrong = Job(actor, {"type": "phase.update", "op_id": "w1", "id": 999_999, "desired_name": "X"}, None)
        last = [Job(actor, {"type": "card.add", "op_id": f"z{i}", "title": f"Laatste {i}", **cell}, None)
                for i in range(2)]
        writer._queue.extend([last[0], wrong, last[1]])
        writer._active = True
        writer._drain(db.engine, hub, last[0])
        with pytest.raises(BoardError) as refused:
            wrong.outcome()
        assert refused.value.code == "unknown_phase"
        assert [job.outcome().seq for job in last] == [more[-1].result.seq + 1, more[-1].result.seq + 2]
        titles = set(db.session.scalars(select(Card.title).where(Card.session_id == session_id)))
        assert {f"Kaart {i}" for i in range(8)} | {f"Meer {i}" for i in range(3)} | {"Laatste 0", "Laatste 1"} <= titles
        logged = list(db.session.scalars(select(BoardEvent.seq).where(BoardEvent.session_id == session_id)
                                         .order_by(BoardEvent.seq)))
        assert logged == list(range(1, len(logged) + 1))  # no gaps, no duplicates
        db.session.remove()


def test_laptops_sending_at_once_are_all_acknowledged_once_in_order(app, facilitator, make_session):
    session_id, actor, cell = _board(app, facilitator, make_session)
    hub = RecordingHub()
    writer = SessionWriter(session_id)
    results, barrier = {}, threading.Barrier(12)

    def laptop(n):
        with app.app_context():
            barrier.wait()
            for i in range(5):
                op_id = f"l{n}-{i}"
                results[op_id] = writer.submit(db.engine, hub, Job(
                    actor, {"type": "card.add", "op_id": op_id, "title": f"{n}.{i}", **cell}, None)).seq
            db.session.remove()

    threads = [threading.Thread(target=laptop, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 60
    assert sorted(results.values()) == list(range(min(results.values()), min(results.values()) + 60))
    assert hub.published == sorted(hub.published) and len(hub.published) == 60
    with app.app_context():
        stored = db.session.scalars(select(BoardEvent.op_id).where(BoardEvent.session_id == session_id)).all()
        assert set(results) <= set(stored)
        db.session.remove()


def test_the_connection_holding_the_turn_hands_it_on_once_its_own_operation_is_stored(
        app, facilitator, make_session):
    """Under steady load the writer's connection does not go on storing others' operations while
    its own ack (and the next frames it should read) wait: the next waiting connection takes over."""
    session_id, actor, cell = _board(app, facilitator, make_session)
    writer = SessionWriter(session_id)
    who = {}

    class Hub(RecordingHub):
        def publish(self, session_id, message):
            who[message["op_id"]] = threading.current_thread().name
            if message["op_id"] == "a":  # while A holds the turn, B's operation arrives and waits
                threading.Thread(target=laptop, args=("b",), name="b").start()
                for _ in range(400):
                    if writer._queue:
                        break
                    threading.Event().wait(0.025)
                assert writer._queue
            return super().publish(session_id, message)

    hub = Hub()
    done = {}

    def laptop(op_id):
        with app.app_context():
            job = Job(actor, {"type": "card.add", "op_id": op_id, "title": op_id, **cell}, None)
            done[op_id] = writer.submit(db.engine, hub, job).seq
            db.session.remove()

    a = threading.Thread(target=laptop, args=("a",), name="a")
    a.start()
    a.join(20)
    for _ in range(200):
        if "b" in done:
            break
        threading.Event().wait(0.05)
    assert done["b"] == done["a"] + 1
    assert who == {"a": "a", "b": "b"}  # B's operation was stored by B's own connection, not A's
    assert not writer._active and not writer._queue


class _Stopped(BaseException):
    """What gevent's kill raises in a greenlet (GreenletExit is a BaseException too)."""


def test_a_writer_stopped_while_holding_the_turn_leaves_no_operation_of_the_session_waiting(
        app, facilitator, make_session, monkeypatch):
    import time
    import types

    import workshop.live.writer as writer_module

    session_id, actor, cell = _board(app, facilitator, make_session)
    hub = RecordingHub()
    with app.app_context():
        engine = db.engine
    writer = SessionWriter(session_id)
    stops = [1]

    def sleep(seconds):
        if stops:  # the first writer is stopped as it takes the turn (a worker shutting down)
            stops.pop()
            raise _Stopped()
        time.sleep(seconds)

    monkeypatch.setattr(writer_module, "time", types.SimpleNamespace(sleep=sleep))
    with app.app_context(), pytest.raises(_Stopped):
        writer.submit(engine, hub, Job(actor, {"type": "card.add", "op_id": "lost", "title": "Weg", **cell}, None))

    done = {}

    def next_laptop():
        with app.app_context():
            done["seq"] = writer.submit(engine, hub, Job(actor, {"type": "card.add", "op_id": "next",
                                                                 "title": "Volgende", **cell}, None)).seq

    t = threading.Thread(target=next_laptop, daemon=True)
    t.start()
    t.join(timeout=10)
    assert not t.is_alive(), "the session's next operation waits for a writer that is gone"
    assert hub.published == [done["seq"]]  # stored and published; the stopped one was never applied
    with app.app_context():
        titles = db.session.scalars(select(Card.title).where(Card.session_id == session_id)).all()
        assert "Volgende" in titles and "Weg" not in titles
