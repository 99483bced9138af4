"""One writer per session in this process, with group commit.

The operations of one session are applied one after the other anyway (the
database serialises them: the session row's lock on PostgreSQL, the single
writer on SQLite). Here the connections of a session take turns *before* a
database connection is taken, so waiting writers hold no pooled connection,
and whoever holds the turn applies every operation that queued up meanwhile
in **one transaction**: one ``BEGIN``, one commit (one fsync), one lock of the
session row for the batch. When a room of fifty sends at once, or the server
is busy, the batch grows and each operation gets cheaper; on a quiet board a
batch is one operation and nothing changes.

The durability promise is unchanged: an operation is acknowledged (and its
event published) only after the commit that stored it. When an operation of
a batch fails (a validation error, a card someone just deleted), the batch is
rolled back and its operations are applied again one transaction each, so a
bad operation never takes the others down with it. Results are published in
``seq`` order by the writer, then each waiting connection gets its own.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque

from ..board import Actor, BoardError, OpResult, apply_operation
from ..board.operations import REFUSED_BEFORE_WRITING
from ..db import CoreUnit
from .locks import lock

log = logging.getLogger(__name__)

# Most operations one transaction carries: a batch stays short, so the session row is never held long.
MAX_BATCH = 50


class Job:
    """One operation waiting for the writer; ``wait`` returns its result (or raises its error)."""

    __slots__ = ("actor", "op", "login_version", "result", "text", "error", "_done", "_turn")

    def __init__(self, actor: Actor, op: dict, login_version: int | None):
        self.actor = actor
        self.op = op
        self.login_version = login_version
        self.result: OpResult | None = None
        self.text: str | None = None  # the published event, encoded
        self.error: BaseException | None = None
        self._done = threading.Event()  # finished, or (with _turn) handed the writer's turn
        self._turn = False

    def finish(self, result: OpResult | None = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self._done.set()

    def outcome(self) -> OpResult:
        if self.error is not None:
            raise self.error
        return self.result


class SessionWriter:
    """The queue of one session's operations in this process; whoever finds it idle becomes the writer."""

    def __init__(self, session_id: int):
        self.session_id = session_id
        self._lock = lock()
        self._queue: deque[Job] = deque()
        self._active = False

    def submit(self, engine, hub, job: Job) -> OpResult:
        """Apply ``job`` (now, or in the batch of the connection that holds the turn); publish; return."""
        with self._lock:
            self._queue.append(job)
            if self._active:
                writer = False
            else:
                self._active = writer = True
        try:
            while True:
                if writer:
                    # Under gevent the database calls below never yield, so without this the connections
                    # whose frames arrived together (a room sending at once) would each find the writer
                    # idle and commit alone. One turn of the event loop lets them queue first: a burst
                    # of fifty becomes one transaction (40 % less CPU for the burst). On a quiet board
                    # it costs one switch.
                    time.sleep(0)
                    self._drain(engine, hub, job)
                    writer = False  # the turn is handed on, or the queue was empty
                job._done.wait()
                with self._lock:
                    writer, job._turn = job._turn, False
                if not writer:
                    return job.outcome()
                job._done.clear()  # handed the turn (see _drain): its own operation is first in the queue
        except BaseException:
            # Stopped while holding the turn, or while being handed it (a worker shutting down kills
            # the greenlet; an error outside _apply): the session's later operations must not wait
            # for a writer that is gone.
            self._pass_turn(job, writer)
            raise

    def _pass_turn(self, job: Job, writer: bool) -> None:
        with self._lock:
            holds, job._turn = writer or job._turn, False
            if not holds:
                return
            try:
                self._queue.remove(job)  # never applied: its connection is gone, the client resends it
            except ValueError:
                pass
            if self._queue:
                nxt = self._queue[0]
                nxt._turn = True
                nxt._done.set()
            else:
                self._active = False

    def _drain(self, engine, hub, own: Job) -> None:
        """Apply batches until ``own`` is done, then hand the turn to the oldest waiting job's
        connection: a connection never goes on writing for others while its own ack, and the
        next frames it should read, wait."""
        while True:
            with self._lock:
                if own._done.is_set() and self._queue:
                    nxt = self._queue[0]
                    nxt._turn = True
                    nxt._done.set()
                    return
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
                if not batch:
                    self._active = False
                    return
            try:
                self._apply(engine, hub, batch)
            except BaseException as err:  # noqa: BLE001 - every waiter must wake, whatever happened
                for job in batch:
                    if not job._done.is_set():
                        job.finish(error=err)
                if not isinstance(err, Exception):  # the writer itself is stopped: nobody may be left waiting
                    with self._lock:
                        stranded, self._active = list(self._queue), False
                        self._queue.clear()
                    for job in stranded:
                        job.finish(error=err)
                    raise

    def _apply_one(self, unit: CoreUnit, job: Job):
        """One operation of a batch: its result, or its refusal when that left the transaction clean."""
        try:
            return apply_operation(unit, self.session_id, job.actor, job.op, login_version=job.login_version)
        except BoardError as err:
            if job.op.get("type") in REFUSED_BEFORE_WRITING:
                return err  # refused before it wrote anything: the others go on in this transaction
            raise

    def _apply(self, engine, hub, batch: list[Job]) -> None:
        results = None
        if len(batch) > 1:
            with CoreUnit(engine) as unit:  # its end rolls back a batch that failed
                try:
                    results = [self._apply_one(unit, job) for job in batch]
                except Exception:  # noqa: BLE001 - applied again one by one below, where each error is its own
                    results = None
                else:
                    # A failed commit is not retried: it may have been stored all the same (connection lost
                    # during COMMIT), so every operation of the batch reports the error, as a single one would.
                    unit.commit()
        if results is None:
            for job in batch:
                try:
                    job.result = apply_in_transaction(engine, self.session_id, job.actor, job.op,
                                                      job.login_version)
                except Exception as err:  # noqa: BLE001 - BoardError or worse: the connection reports it
                    job.error = err
        else:
            for job, result in zip(batch, results):
                if isinstance(result, BoardError):
                    job.error = result
                else:
                    job.result = result
        # committed: publish in seq order (together: a connection gets them in one write), then wake
        # each connection
        stored = [job for job in batch if job.error is None and not job.result.duplicate]
        if stored:
            try:
                texts = hub.publish_many(self.session_id, [job.result.event for job in stored])
            except Exception:  # noqa: BLE001 - stored all the same: try each one alone (a repeat is dropped)
                log.exception("publishing the events of session %s failed; publishing them one by one",
                              self.session_id)
                for job in stored:
                    try:
                        job.text = hub.publish(self.session_id, job.result.event)
                    except Exception:  # noqa: BLE001 - the others fill the gap from the log
                        log.exception("publishing an event of session %s failed", self.session_id)
            else:
                for job, text in zip(stored, texts):
                    job.text = text
        for job in batch:
            job.finish(job.result, job.error)


def apply_in_transaction(engine, session_id: int, actor: Actor, op, login_version: int | None = None) -> OpResult:
    """One operation in its own short transaction (a ``CoreUnit``): apply and commit, or roll back and raise.

    The connection goes back to the pool either way, so no connection (nor SQLite's
    write lock) is held while the socket waits for the next frame. A participant removed
    since the upgrade is refused by ``apply_operation`` (code ``removed``), and
    so is a facilitator whose login (``login_version``) has ended (``logged_out``).
    """
    with CoreUnit(engine) as unit:  # its end rolls back whatever an error left open
        result = apply_operation(unit, session_id, actor, op, login_version=login_version)
        unit.commit()
    return result


_guard = threading.Lock()


def writer_for(app, session_id: int) -> SessionWriter:
    writers = app.extensions.setdefault("live_writers", weakref.WeakValueDictionary())
    with _guard:
        writer = writers.get(session_id)
        if writer is None:
            writer = SessionWriter(session_id)
            writers[session_id] = writer
        return writer


__all__ = ["BoardError", "Job", "MAX_BATCH", "SessionWriter", "apply_in_transaction", "writer_for"]
