"""Engine, sessions and the declarative base.

One scoped SQLAlchemy session per request (or per websocket message); the
caller that owns the unit of work commits. Board operations only flush.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker

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


def make_engine(url: str, **kw) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, **kw)
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy manage transactions: BEGIN IMMEDIATE takes the write
        # lock up front so two writers never deadlock on a lock upgrade.
        @event.listens_for(engine, "begin")
        def _begin(conn):  # pragma: no cover - trivial
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # pool_pre_ping recovers from a dropped PostgreSQL connection without a restart
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kw)


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
