"""One pinger per process for all its websockets: the idle checks of a thousand sockets in one thread.

Every ``WS_PING_INTERVAL`` seconds each connection is pinged, its presence
refreshed and its right to stay checked (still a participant, facilitator login
not ended): ``LiveConnection.idle_tick``. Doing that from each connection's own
sender meant a timer per sender wait and a thread switch per socket per
interval; here one thread sleeps until the next connection is due, and what it
writes (the ping, an error and close) goes through the connection's ``put``,
so the sender stays the only thread that blocks on the socket.

Ticks go out in rounds: every connection due within ``GRAIN`` seconds of the
first one is ticked in the same wake-up, and they all come due together again
one interval later. A thousand sockets joining over a few seconds settle into
a few rounds per interval instead of forty separate wake-ups a second: one
timer, one pass of the event loop for the pings and one for the pongs that
come back together, and the right-to-stay reads shared within the round.

Connections are held by weak reference: one that has ended leaves when it
comes up next, without being unregistered. The thread ends when no
connection is left and starts again with the next one.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import threading
import time
import weakref

log = logging.getLogger(__name__)

GRAIN = 1.0  # seconds: connections due this close together are ticked in one round
YIELD_EVERY = 50  # ticks between yields to the other greenlets within a round


class Pinger:
    def __init__(self, app):
        self.app = app
        self._due: list = []  # heap of (monotonic due time, tie breaker, weakref to the connection)
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.grain = GRAIN  # shrinks with short test intervals: never more than a tenth of one

    def add(self, conn) -> None:
        """Start the idle ticks of ``conn``: the first after its ping interval (or up to ``grain``
        sooner, with a round that falls due just before), then one per interval."""
        due = time.monotonic() + conn.ping_interval
        with self._lock:
            self.grain = min(self.grain, conn.ping_interval / 10)
            first = not self._due or due < self._due[0][0]
            heapq.heappush(self._due, (due, next(self._order), weakref.ref(conn)))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ws-pinger", daemon=True)
                self._thread.start()
        if first:
            self._wake.set()

    def _run(self) -> None:
        with self.app.app_context():
            while True:
                with self._lock:
                    if not self._due:  # no connection left: end; the next add() starts a new thread
                        self._thread = None
                        return
                    timeout = max(0.0, self._due[0][0] - time.monotonic())
                self._wake.wait(timeout)
                self._wake.clear()
                now = time.monotonic()
                horizon = now + self.grain
                ready = []
                with self._lock:
                    while self._due and self._due[0][0] <= horizon:
                        ready.append(heapq.heappop(self._due)[2])
                again = []
                try:
                    with self._refreshing(ready):
                        self._tick(ready, now, again)
                finally:  # even when the round is cut short, all its connections stay in the schedule
                    with self._lock:
                        for item in again:
                            heapq.heappush(self._due, item)

    def _refreshing(self, ready: list):
        """The round's presence refreshes in one batch (one Redis round trip, see presence.py)."""
        presence = self.app.extensions.get("presence")
        if presence is None:
            return contextlib.nullcontext()
        round_ = None  # conn_id -> connection, built only if the presence store asks (Redis does)

        def current(conn_id):
            nonlocal round_
            if round_ is None:
                round_ = {c.conn_id: ref for ref in ready if (c := ref()) is not None}
            conn = round_[conn_id]() if conn_id in round_ else None
            return None if conn is None or conn.closed.is_set() else conn._presence_entry()
        return presence.refreshing(current)

    def _tick(self, ready: list, now: float, again: list) -> None:
        """Tick the round; ``again`` gets every connection's next due time before its tick, and
        those the round did not reach when it is cut short (a BaseException)."""
        reached = 0
        try:
            for reached, ref in enumerate(ready, 1):
                conn = ref()
                if conn is not None and not conn.closed.is_set():
                    again.append((now + conn.ping_interval, next(self._order), ref))
                    try:
                        conn.idle_tick()
                    except Exception:  # noqa: BLE001 - one connection's trouble never stops the others' pings
                        log.exception("idle check failed in session %s", conn.session_id)
                conn = None
                if reached % YIELD_EVERY == 0:
                    time.sleep(0)  # a big round never holds up the live traffic for long
        finally:
            again.extend((now + self.grain, next(self._order), ref) for ref in ready[reached:])


def pinger_for(app) -> Pinger:
    pinger = app.extensions.get("live_pinger")
    if pinger is None:
        pinger = app.extensions.setdefault("live_pinger", Pinger(app))
    return pinger
