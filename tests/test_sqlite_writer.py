"""SQLite under one process: writers queue on a lock before BEGIN IMMEDIATE; readers never wait.

Under gevent the lock is cooperative (gevent patches ``threading``), so a
second writer waits without blocking the hub; here with threads, as the
development server runs. What a user would notice: a read (a page, an export)
is not held up by a writer, and a second writer neither fails with "database
is locked" nor waits in SQLite's busy handler.
"""
from __future__ import annotations

import threading
import time

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
