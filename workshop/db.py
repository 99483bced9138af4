"""Engine, sessions and the declarative base.

One scoped SQLAlchemy session per request; the caller that owns the unit of
work commits. Board operations only flush. The live writer's operations run in
a ``CoreUnit`` (a Core connection, an ORM session on it only when needed).
"""
from __future__ import annotations

import contextvars
import logging
import os
import threading
import types
from contextlib import contextmanager
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    # WAL: readers never block the writer; NORMAL sync is durable in WAL mode
    # against process crashes (an fsync happens at checkpoint).
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
    # no implicit BEGIN from the driver: SQLAlchemy's "begin" event issues BEGIN IMMEDIATE
    dbapi_conn.isolation_level = None


# Set by ``read_transaction``: the transaction about to begin only reads.
_READ_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("workshop_read_only", default=False)

WRITER_WAIT_SECONDS = 10  # as long as SQLite's busy timeout


class SQLiteWriterLock:
    """One writer per process, waited for *before* ``BEGIN IMMEDIATE``.

    SQLite has one writer. A second ``BEGIN IMMEDIATE`` waits in SQLite's busy
    handler, in C, which under gevent blocks the hub and so every socket of the
    worker. Waiting here instead is cooperative (gevent patches ``threading``):
    inside one process SQLite never sees two writers, so its busy wait only
    ever runs against another process (a CLI command, a second worker).

    Since a process writes one transaction at a time, the live writer's units
    (``CoreUnit``) share one connection of the process, kept checked out: taking
    a connection from the pool and giving it back (with its reset) was about a
    sixth of a board operation's CPU in the worker. ``begin_shared`` takes the
    lock, then that connection, and begins; ``end_shared`` rolls back what was
    not committed and lets the lock go, only after the driver's COMMIT has
    returned (a pooled connection lets it go at the ``commit`` event, which
    comes just before).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._shared: Connection | None = None
        self._shared_pid: int | None = None

    def acquire(self, conn) -> None:
        self._take()
        conn.info["workshop_writer"] = self

    def _take(self) -> None:
        if not self._lock.acquire(timeout=WRITER_WAIT_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked (writer lock)"))

    def release(self, info: dict) -> None:
        if info.pop("workshop_writer", None) is self:
            self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def begin_shared(self, engine: Engine) -> "Connection":
        """The process's write connection, in a new transaction, with the lock held (until ``end_shared``)."""
        # A connection that must be made is taken from the pool *before* the lock: request writers
        # hold a pooled connection while they wait for the lock, so with the pool exhausted by them a
        # checkout under the lock would wait for connections that only come back after the lock.
        fresh = None if self._usable() else engine.connect()
        try:
            self._take()
        except BaseException:
            if fresh is not None:
                fresh.close()
            raise
        try:
            if not self._usable():
                self._shared = None  # a forked child never uses its parent's connection
                if fresh is None:  # it failed since the look above (rare): made under the lock after all
                    fresh = engine.connect()
                fresh.info["workshop_shared_writer"] = self
                self._shared, self._shared_pid, fresh = fresh, os.getpid(), None
            elif fresh is not None:  # another unit made the shared connection while this one waited
                spare, fresh = fresh, None
                spare.close()  # back to the pool; inside the try: a failure here lets the lock go
            conn = self._shared
            # Straight to the driver: SQLAlchemy's Connection stays out of it (its begin and commit, with
            # their events, cost more than the statements). A statement that needs it in a transaction
            # (``conn.execute``, an ORM session) begins one, which joins this one (see ``_begin``).
            _driver_begin(conn, "BEGIN IMMEDIATE")
        except BaseException:
            try:
                if fresh is not None:
                    fresh.close()
                self._drop_shared()
            finally:
                self._lock.release()  # whatever closing does
            raise
        return conn

    def _usable(self) -> bool:
        conn = self._shared
        return conn is not None and self._shared_pid == os.getpid() and not conn.closed and not conn.invalidated

    @staticmethod
    def commit_shared(conn: "Connection") -> None:
        """Commit a ``begin_shared`` transaction (the lock stays until ``end_shared``)."""
        if conn.in_transaction():
            conn.commit()  # SQLAlchemy joined it: it commits (and forgets it) through the driver
            return
        import sqlite3

        driver = conn.connection.driver_connection
        if not driver.in_transaction:  # SQLite ended it (and what came after ran on its own): not stored as one
            raise OperationalError("COMMIT", {}, Exception("the transaction ended before its commit"))
        try:
            driver.commit()
        except sqlite3.Error as err:
            raise OperationalError("COMMIT", {}, err) from err

    def end_shared(self, conn: "Connection") -> None:
        """After ``begin_shared``: roll back what was not committed, then let the lock go."""
        try:
            # SQLAlchemy's own transaction first, even an inactive one (a failed COMMIT leaves one
            # behind, and the connection refuses every statement until it is rolled back); its
            # rollback of an inactive transaction does not reach the driver, so the driver after it
            if conn.get_transaction() is not None:
                conn.rollback()
            driver = conn.connection.driver_connection
            if driver.in_transaction:
                driver.rollback()
        except BaseException:
            self._drop_shared()  # a connection that cannot even roll back is not used again
            raise
        finally:
            self._lock.release()

    def _drop_shared(self) -> None:
        conn, self._shared = self._shared, None
        if conn is not None and self._shared_pid == os.getpid():
            try:
                if not conn.closed:
                    conn.info.pop("workshop_shared_writer", None)  # a pooled connection takes the lock again
                    conn.invalidate()  # never back into the pool: its state is unknown
                conn.close()
            except Exception:  # noqa: BLE001 - it is gone either way
                log.debug("closing the shared SQLite write connection failed", exc_info=True)

    def close_shared(self) -> None:
        """The engine is disposed: close the shared connection and its file (no unit may be using it)."""
        self._drop_shared()


def _driver_begin(conn, statement: str) -> None:
    import sqlite3

    try:
        conn.connection.driver_connection.execute(statement)
    except sqlite3.Error as err:
        raise OperationalError(statement, {}, err) from err


def make_engine(url: str, **kw) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, **kw)
        event.listen(engine, "connect", _sqlite_pragmas)
        writer = SQLiteWriterLock()
        engine.sqlite_writer_lock = writer

        # Let SQLAlchemy manage transactions: BEGIN IMMEDIATE takes the write
        # lock up front so two writers never deadlock on a lock upgrade. A read
        # transaction (``read_transaction``) is a plain BEGIN: in WAL mode it
        # reads a snapshot and neither waits for the writer nor blocks it.
        # BEGIN goes straight to the driver: through exec_driver_sql it cost SQLAlchemy's whole
        # execution path, on every board operation. A driver error comes out as SQLAlchemy's.
        @event.listens_for(engine, "begin")
        def _begin(conn):  # pragma: no cover - trivial
            if _READ_ONLY.get():
                _driver_begin(conn, "BEGIN")
                return
            if conn.info.get("workshop_shared_writer") is writer:  # a CoreUnit's: it holds the lock
                if not conn.connection.driver_connection.in_transaction:
                    _driver_begin(conn, "BEGIN IMMEDIATE")
                return  # else SQLAlchemy joins the transaction begin_shared began
            writer.acquire(conn)
            try:
                _driver_begin(conn, "BEGIN IMMEDIATE")
            except BaseException:
                writer.release(conn.info)
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _end(conn):  # pragma: no cover - trivial
            writer.release(conn.info)  # not the shared connection's: end_shared lets that go

        @event.listens_for(engine, "engine_disposed")
        def _disposed(_engine):
            writer.close_shared()

        @event.listens_for(engine.pool, "checkin")
        @event.listens_for(engine.pool, "invalidate")
        @event.listens_for(engine.pool, "close")
        def _returned(_dbapi_conn, record, *args):  # a connection never keeps the lock
            writer.release(record.info)

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20, **kw)
    event.listen(engine, "checkout", _drop_if_closed_by_server)
    _wait_on_gevent_hub()
    return engine


def _wait_on_gevent_hub() -> None:
    """Under gevent, psycopg waits for the server on the hub with one io watcher per wait.

    psycopg 3 notices gevent's monkey-patching and then waits through the patched
    ``select.poll``, which builds a poll object, a watcher per file descriptor and
    a ``Timeout`` for every wait: about a third of a millisecond of CPU per board
    operation (six waits). This wait does the same job, cooperatively, for about
    two thirds less. Waits with a deadline (rare: cancelling a query) keep
    psycopg's own function.
    """
    try:
        from gevent import monkey
    except ImportError:
        return
    if not monkey.is_module_patched("select"):
        return
    from gevent.hub import Waiter, get_hub
    from psycopg import waiting
    from psycopg.waiting import Ready, Wait

    if getattr(waiting.wait, "workshop_gevent", False):
        return
    fallback = waiting.wait
    events_for = {Wait.R: 1, Wait.W: 2, Wait.RW: 3}  # libev's EV_READ, EV_WRITE
    ready_for = {1: Ready.R, 2: Ready.W, 3: Ready.RW}

    def wait(gen, fileno, interval=0.0, timeout=None):
        if timeout is not None:
            return fallback(gen, fileno, interval, timeout)
        hub = get_hub()
        try:
            state = next(gen)
            while True:
                watcher = hub.loop.io(fileno, events_for[state])
                waiter = Waiter(hub)
                watcher.start(waiter.switch, pass_events=True)
                try:
                    events = waiter.get()
                finally:
                    watcher.stop()
                    watcher.close()
                state = gen.send(ready_for.get(events & 3, Ready.RW))  # an error wakes both ways
        except StopIteration as done:
            return done.value

    wait.workshop_gevent = True
    waiting.wait = wait


def _socket_has_data():
    """``fileno -> bool``: is something waiting to be read? The real poll(), never gevent's."""
    import select

    poll = select.poll
    try:
        from gevent import monkey

        if monkey.is_module_patched("select"):
            poll = monkey.get_original("select", "poll")
    except ImportError:
        pass

    def readable(fileno: int) -> bool:
        p = poll()
        p.register(fileno, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(p.poll(0))

    return readable


_readable = None


def _drop_if_closed_by_server(dbapi_conn, record, proxy):
    """A pooled PostgreSQL connection that the server ended is replaced before anyone uses it.

    An idle connection has nothing to read: the server only speaks when asked,
    except when it ends the connection (a restart, ``pg_terminate_backend``, an
    idle timeout), which leaves an error message and the end of the stream in
    the socket. Looking costs one non-blocking poll(); SQLAlchemy's
    ``pool_pre_ping`` would cost a round trip to the server on every checkout,
    that is on every board operation. Raising ``DisconnectionError`` makes the
    pool discard this connection and check out (or open) another.
    """
    global _readable
    if _readable is None:
        _readable = _socket_has_data()
    pgconn = getattr(dbapi_conn, "pgconn", None)
    if pgconn is None:  # not psycopg 3: nothing to look at
        return
    try:
        dead = dbapi_conn.closed or _readable(pgconn.socket)
    except Exception:  # noqa: BLE001 - a connection we cannot even inspect is no good either
        dead = True
    if dead:
        raise DisconnectionError("the server closed this connection")


@contextmanager
def read_transaction(session):
    """A short transaction that only reads, ended when the block ends.

    Exports and catch-up reads use it: they read what they need here, then
    render or write to a socket with no transaction open. On SQLite it is a
    deferred ``BEGIN`` (no write lock); on PostgreSQL an ordinary transaction.
    Loaded objects stay usable afterwards (the session never expires on commit).
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        session.commit()  # whatever the request read before; a read never has pending writes
    token = _READ_ONLY.set(True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _READ_ONLY.reset(token)


class _Reader:
    """What ``Prepared`` needs of a connection: its dialect and its pooled DBAPI connection."""

    __slots__ = ("dialect", "connection")

    def __init__(self, dialect, connection):
        self.dialect, self.connection = dialect, connection


@contextmanager
def autocommit_reads(engine):
    """A pooled connection for reads of one statement each (``workshop.board.prepared``), each its
    own implicit transaction: no ``BEGIN``/``COMMIT`` around them, which on PostgreSQL are two
    round trips of three. Only for a read that needs no second statement to agree with it."""
    raw = engine.raw_connection()
    driver = raw.driver_connection
    postgres = engine.dialect.name == "postgresql"  # SQLite's driver is in autocommit mode anyway (make_engine)
    try:
        if postgres:
            driver.autocommit = True
        yield _Reader(engine.dialect, raw)
    finally:
        try:
            if postgres and not driver.closed:
                driver.autocommit = False
        finally:
            raw.close()


class CoreUnit:
    """One short write transaction on a Core connection, with an ORM session only if it is asked for.

    The live writer's unit of work. Most board operations (the card ones) run as
    Core statements on ``connection()``; for them the ORM session's lifecycle
    (its transaction, flush, commit, close, the scoped registry) was a third of
    the operation's CPU on SQLite. Any other attribute (``get``, ``add``,
    ``scalars``…) goes to an ORM session created on first use, bound to the same
    connection and transaction, so ORM-based handlers work unchanged.
    ``commit`` flushes it and commits; ``close`` rolls back whatever was not
    committed and returns the connection to the pool. As a context manager it
    closes at the end of the block: an error then is the block's own error, or,
    after a clean block (committed or not), only logged, since what was
    committed is stored whatever returning the connection does.
    """

    _NO_IDENTITY_MAP = types.MappingProxyType({})
    # transaction control is the unit's own: never forwarded to the ORM session, which only joins
    _NOT_FORWARDED = frozenset({"begin", "begin_nested", "rollback", "in_transaction", "in_nested_transaction",
                                "get_transaction", "close_all", "invalidate", "reset"})

    def __init__(self, engine: Engine):
        self._engine = engine
        self._conn = None
        self._shared: SQLiteWriterLock | None = None
        self._orm: Session | None = None

    def connection(self):
        if self._conn is None:
            shared = getattr(self._engine, "sqlite_writer_lock", None)
            if shared is not None:  # SQLite: the process's one write connection (SQLiteWriterLock)
                self._conn = shared.begin_shared(self._engine)
                self._shared = shared
                return self._conn
            conn = self._engine.connect()
            try:
                conn.begin()
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    @property
    def orm(self) -> Session:
        if self._orm is None:
            conn = self.connection()
            if not conn.in_transaction():
                conn.begin()  # the session joins it (and leaves commit and rollback to the unit)
            self._orm = Session(bind=conn, expire_on_commit=False)
        return self._orm

    def get_bind(self, *args, **kw) -> Engine:
        return self._engine

    @property
    def identity_map(self):
        return self._orm.identity_map if self._orm is not None else self._NO_IDENTITY_MAP

    def flush(self) -> None:
        if self._orm is not None:
            self._orm.flush()

    def commit(self) -> None:
        self.flush()
        if self._shared is not None:
            self._shared.commit_shared(self._conn)
        elif self._conn is not None:
            self._conn.commit()

    def close(self) -> None:
        orm, conn, shared, self._orm, self._conn, self._shared = self._orm, self._conn, self._shared, None, None, None
        try:
            if orm is not None:
                orm.close()
        finally:
            if shared is not None:
                shared.end_shared(conn)  # rolls back a transaction still open, then lets the lock go
            elif conn is not None:
                conn.close()  # rolls back a transaction still open

    def __enter__(self) -> "CoreUnit":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.close()
            return
        try:
            self.close()
        except Exception:  # noqa: BLE001 - a pool that cannot take the connection back loses nothing stored
            log.exception("returning a unit's connection to the pool failed")

    def __getattr__(self, name):
        if name in self._NOT_FORWARDED or name.startswith("__"):
            raise AttributeError(f"CoreUnit does not forward {name!r} to its ORM session")
        return getattr(self.orm, name)


class _AppDatabase:
    """The engine and scoped session of one app (tests run several apps in one process)."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.session = scoped_session(sessionmaker(bind=self.engine, expire_on_commit=False))


class Database:
    """``db.session`` and ``db.engine`` of the current app; attached with ``init_app``."""

    def init_app(self, app):
        state = _AppDatabase(app.config["DATABASE_URL"])
        app.extensions["db"] = state

        @app.teardown_appcontext
        def _remove_session(_exc):
            state.session.remove()

    @property
    def session(self) -> scoped_session:
        return current_app.extensions["db"].session

    @property
    def engine(self) -> Engine:
        return current_app.extensions["db"].engine


db = Database()
