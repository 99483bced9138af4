"""SQLite under one process: writers queue on a lock before BEGIN IMMEDIATE; readers never wait.

Under gevent the lock is cooperative (gevent patches ``threading``), so a
second writer waits without blocking the hub; here with threads, as the
development server runs. What a user would notice: a read (a page, an export)
is not held up by a writer, and a second writer neither fails with "database
is locked" nor waits in SQLite's busy handler.
"""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from sqlalchemy import text
from sqlalchemy.orm import Session

from workshop.db import make_engine, read_transaction


def test_a_reader_never_waits_for_a_writer_and_a_second_writer_queues(db_path):
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        writer = Session(engine)
        writer.execute(text("UPDATE channel SET position = position"))  # BEGIN IMMEDIATE: holds the write lock
        read_took, second = {}, {}

        def read():
            start = time.monotonic()
            with Session(engine) as s, read_transaction(s):
                s.execute(text("SELECT count(*) FROM card")).scalar()
            read_took["s"] = time.monotonic() - start

        def write():
            start = time.monotonic()
            with Session(engine) as s:
                s.execute(text("UPDATE channel SET position = position"))
                s.commit()
            second["s"] = time.monotonic() - start

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(5)
        assert read_took["s"] < 1.0  # the reader took no lock and waited for none

        other = threading.Thread(target=write)
        other.start()
        time.sleep(0.5)
        assert other.is_alive() and not second  # queued behind the first writer, not failed
        writer.commit()
        other.join(5)
        assert 0.4 < second["s"] < 3.0  # it went on as soon as the first committed
        assert not engine.sqlite_writer_lock.locked()  # and nobody keeps the lock
        writer.close()
    finally:
        engine.dispose()


# The live writer's units (CoreUnit) share the process's one write connection, kept out of the pool.

def _position(engine, channel_id):
    with engine.connect() as c:
        return c.execute(text("SELECT position FROM channel WHERE id = :i"), {"i": channel_id}).scalar()


def _first_channel(engine):
    with engine.connect() as c:
        return c.execute(text("SELECT id, position FROM channel ORDER BY id LIMIT 1")).one()


def _increment_in_unit(engine, channel_id) -> int:
    """One live writer's unit: add 1 to the channel's position through the driver and commit;
    returns which driver connection it ran on."""
    from workshop.db import CoreUnit

    with CoreUnit(engine) as unit:
        driver = unit.connection().connection.driver_connection
        driver.execute("UPDATE channel SET position = position + 1 WHERE id = ?", (channel_id,))
        unit.commit()
    return id(driver)


def test_units_from_many_threads_each_store_their_write_on_one_shared_connection(db_path):
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        channel_id, start = _first_channel(engine)
        connections = set()

        def write():
            for _ in range(25):
                connections.add(_increment_in_unit(engine, channel_id))

        threads = [threading.Thread(target=write) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert _position(engine, channel_id) == start + 100  # every increment stored, none lost
        assert len(connections) == 1 and engine.pool.checkedout() == 1  # one connection, never pooled
        assert not engine.sqlite_writer_lock.locked()
    finally:
        engine.dispose()
    assert engine.sqlite_writer_lock._shared is None  # disposing the engine closed it


def test_a_unit_waiting_for_a_pooled_connection_leaves_the_writer_lock_to_the_requests_holding_them(db_path):
    """The shared connection is made outside the lock: a request writer holding the pool's last
    connection can still take the lock, commit and give the connection back (no 10 s stall)."""
    engine = make_engine(f"sqlite:///{db_path}", pool_size=1, max_overflow=0, pool_timeout=5)
    try:
        channel_id, start = _first_channel(engine)
        held = engine.connect()  # the pool's only connection, as a request handler holds it
        done = threading.Event()

        def unit():
            _increment_in_unit(engine, channel_id)
            done.set()

        t = threading.Thread(target=unit)
        t.start()
        time.sleep(0.3)
        assert not done.is_set()  # the unit waits for a connection...
        assert not engine.sqlite_writer_lock.locked()  # ...without holding the lock
        started = time.monotonic()
        with held.begin():  # the request's own write takes the lock at once and commits
            held.execute(text("UPDATE channel SET position = position + 10 WHERE id = :i"), {"i": channel_id})
        assert time.monotonic() - started < 2
        held.close()
        t.join(10)
        assert done.is_set() and not engine.sqlite_writer_lock.locked()
        with sqlite3.connect(db_path) as direct:  # the pool's one slot is the shared connection now
            assert direct.execute("SELECT position FROM channel WHERE id = ?", (channel_id,)).fetchone()[0] == start + 11
    finally:
        engine.dispose()


def test_units_that_both_made_a_connection_keep_one_and_give_the_other_back(db_path):
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        channel_id, start = _first_channel(engine)
        both_connected = threading.Barrier(2, timeout=5)
        connect = engine.connect
        made = []

        def connect_together():  # each unit takes its connection before either has the lock
            conn = connect()
            made.append(conn)
            both_connected.wait()
            return conn

        engine.connect = connect_together

        threads = [threading.Thread(target=_increment_in_unit, args=(engine, channel_id)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        engine.connect = connect
        assert _position(engine, channel_id) == start + 2
        assert sorted(c.closed for c in made) == [False, True]  # one kept, the other closed...
        assert engine.pool.checkedout() == 1  # ...and back in the pool
        assert not engine.sqlite_writer_lock.locked()
    finally:
        engine.dispose()


def test_a_unit_that_fails_stores_nothing_and_the_next_one_writes(db_path):
    from workshop.db import CoreUnit

    engine = make_engine(f"sqlite:///{db_path}")
    try:
        channel_id, start = _first_channel(engine)
        with pytest.raises(RuntimeError):
            with CoreUnit(engine) as unit:
                unit.connection().execute(text("UPDATE channel SET position = 99 WHERE id = :i"), {"i": channel_id})
                raise RuntimeError("the operation failed half-way")
        assert _position(engine, channel_id) == start and not engine.sqlite_writer_lock.locked()
        with CoreUnit(engine) as unit:  # never committed: rolled back at the end
            unit.connection().connection.driver_connection.execute(
                "UPDATE channel SET position = 98 WHERE id = ?", (channel_id,))
        assert _position(engine, channel_id) == start and not engine.sqlite_writer_lock.locked()
        with CoreUnit(engine) as unit:
            unit.connection().execute(text("UPDATE channel SET position = 7 WHERE id = :i"), {"i": channel_id})
            unit.commit()
        assert _position(engine, channel_id) == 7 and not engine.sqlite_writer_lock.locked()
    finally:
        engine.dispose()


def test_an_orm_change_in_a_unit_commits_and_rolls_back_with_the_driver_statements(db_path):
    from workshop.db import CoreUnit
    from workshop.models import Channel

    engine = make_engine(f"sqlite:///{db_path}")
    try:
        channel_id, start = _first_channel(engine)
        for commit in (False, True):
            with CoreUnit(engine) as unit:
                unit.connection().connection.driver_connection.execute(
                    "UPDATE channel SET position = position + 1 WHERE id = ?", (channel_id,))
                unit.get(Channel, channel_id).name = f"Kanaal {commit}"  # through the ORM session
                if commit:
                    unit.commit()
            with engine.connect() as c:
                row = c.execute(text("SELECT name, position FROM channel WHERE id = :i"), {"i": channel_id}).one()
            if commit:
                assert tuple(row) == ("Kanaal True", start + 1)
            else:
                assert row.position == start and row.name != "Kanaal False"
            assert not engine.sqlite_writer_lock.locked()
    finally:
        engine.dispose()


@pytest.mark.parametrize("joined", [False, True], ids=["driver", "sqlalchemy-joined"])
def test_a_commit_that_fails_stores_nothing_and_the_next_unit_still_writes(tmp_path, joined):
    import sqlite3

    from workshop.db import CoreUnit

    path = tmp_path / "fk.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.executescript("CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                          "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id)"
                          " DEFERRABLE INITIALLY DEFERRED); CREATE TABLE note (x)")
    engine = make_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(Exception, match="FOREIGN KEY"):  # found only at COMMIT
            with CoreUnit(engine) as unit:
                if joined:  # through SQLAlchemy: it joins the transaction and commits it
                    unit.connection().execute(text("INSERT INTO child VALUES (1, 42)"))
                else:
                    unit.connection().connection.driver_connection.execute("INSERT INTO child VALUES (1, 42)")
                unit.commit()
        assert not engine.sqlite_writer_lock.locked()
        for i in range(2):  # the process's write connection goes on working
            with CoreUnit(engine) as unit:
                unit.connection().execute(text("INSERT INTO note VALUES (:x)"), {"x": i})
                unit.commit()
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM child")).scalar() == 0
            assert c.execute(text("SELECT count(*) FROM note")).scalar() == 2
    finally:
        engine.dispose()
