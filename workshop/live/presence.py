"""Who is connected to a session and which card each of them is editing.

One entry per connection (a person with two tabs has two), merged per person
when listed. In one process a dict is enough; with ``REDIS_URL`` the entries
live in a Redis hash per session so every process lists everyone. Entries
carry a timestamp and are refreshed by their connection every ping interval,
so the entries of a crashed process disappear after ``ttl`` seconds.

Changes travel as changes (``PresenceFeed``): who came, left or opened a
card, not the whole list to everyone on every join. The changes of one
session are gathered for ``WS_PRESENCE_DELAY`` seconds after the first one,
which goes out at once, so a room of fifty joining together costs a few
frames per connection instead of fifty.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from contextlib import contextmanager

log = logging.getLogger(__name__)


def merge(entries: list[dict]) -> list[dict]:
    """One item per person: ``{kind, id, name, editing}``, facilitator first."""
    people: dict[tuple, dict] = {}
    for e in sorted(entries, key=lambda e: e.get("ts", 0)):
        key = (e["kind"], e["id"])
        person = people.setdefault(key, {"kind": e["kind"], "id": e["id"], "name": e.get("name"),
                                         "editing": None})
        if e.get("editing") is not None:
            person["editing"] = e["editing"]
    return sorted(people.values(), key=lambda p: (p["kind"] != "facilitator", (p["name"] or "").lower(), p["id"]))


class LocalPresence:
    def __init__(self, ttl: float = 90):
        self.ttl = ttl
        self._entries: dict[int, dict[str, dict]] = {}
        self._lock = threading.Lock()

    def set(self, session_id: int, conn_id: str, entry: dict) -> None:
        entry = dict(entry, ts=time.time())
        with self._lock:
            self._entries.setdefault(session_id, {})[conn_id] = entry

    def remove(self, session_id: int, conn_id: str) -> None:
        with self._lock:
            entries = self._entries.get(session_id)
            if entries is not None:
                entries.pop(conn_id, None)
                if not entries:
                    del self._entries[session_id]

    @contextmanager
    def refreshing(self, current):
        """See ``RedisPresence.refreshing``; a dict needs no batching."""
        yield

    def people(self, session_id: int) -> list[dict]:
        cutoff = time.time() - self.ttl
        with self._lock:
            entries = [e for e in self._entries.get(session_id, {}).values() if e["ts"] >= cutoff]
        return merge(entries)


class RedisPresence:
    def __init__(self, redis_client, ttl: float = 90, namespace: str = "workshop"):
        self.redis = redis_client
        self.ttl = ttl
        self.namespace = namespace
        # per greenlet under gevent: the store is made in the worker, after monkey-patching
        # (gunicorn_conf.py does not preload the app)
        self._batch = threading.local()

    def _key(self, session_id: int) -> str:
        return f"{self.namespace}:presence:{session_id}"

    @contextmanager
    def refreshing(self, current):
        """Within it, this thread's ``set`` calls go to Redis together, in one round trip at the end.

        The pinger refreshes a round of connections at once: one pipeline instead
        of one round trip per connection. ``current(conn_id)`` gives each
        connection's entry as it is when the round ends (None once it has closed),
        so a change made meanwhile (a card opened) is not overwritten by an
        older entry and a connection that left is not written back. A connection
        that closes while the pipeline is on its way can still come back for one
        ping interval, as it could without the batch, until the next round.
        """
        if getattr(self._batch, "keys", None) is not None:
            yield
            return
        self._batch.keys = batched = set()  # (Redis key, conn_id) of the entries set within
        try:
            yield
        finally:
            self._batch.keys = None
            try:
                pipe = self.redis.pipeline(transaction=False)
                keys = set()
                for key, conn_id in batched:
                    entry = current(conn_id)
                    if entry is not None:
                        pipe.hset(key, conn_id, json.dumps(dict(entry, ts=time.time())))
                        keys.add(key)
                for key in keys:
                    pipe.expire(key, int(self.ttl) + 1)
                if keys:
                    pipe.execute()
            except Exception:  # presence is a nicety: a refresh that failed is redone next round
                log.exception("presence refresh failed")

    def set(self, session_id: int, conn_id: str, entry: dict) -> None:
        key = self._key(session_id)
        batched = getattr(self._batch, "keys", None)
        if batched is not None:  # written at the end of the round, as it is then (``refreshing``)
            batched.add((key, conn_id))
            return
        pipe = self.redis.pipeline()
        pipe.hset(key, conn_id, json.dumps(dict(entry, ts=time.time())))
        pipe.expire(key, int(self.ttl) + 1)
        pipe.execute()

    def remove(self, session_id: int, conn_id: str) -> None:
        self.redis.hdel(self._key(session_id), conn_id)

    def people(self, session_id: int) -> list[dict]:
        key = self._key(session_id)
        cutoff = time.time() - self.ttl
        entries, stale = [], []
        for conn_id, raw in self.redis.hgetall(key).items():
            try:
                e = json.loads(raw)
            except ValueError:
                e = None
            if not e or e.get("ts", 0) < cutoff:
                stale.append(conn_id)
            else:
                entries.append(e)
        if stale:
            self.redis.hdel(key, *stale)
        return merge(entries)


class PresenceFeed:
    """Publishes presence changes per session: the first at once, later ones gathered for ``delay`` s.

    A change names a person (``kind``, ``id``); when it is published, the
    person's merged entry is looked up in the store (``gone: true`` when they
    have no connection left), so what is sent is always the current truth.
    """

    def __init__(self, hub, store, delay: float = 0.1):
        self.hub = hub
        self.store = store
        self.delay = delay
        self._lock = threading.Lock()
        self._windows: dict[int, set] = {}  # session id -> people changed since the window opened

    def changed(self, session_id: int, kind: str, person_id: int) -> None:
        with self._lock:
            window = self._windows.get(session_id)
            if window is not None:
                window.add((kind, person_id))
                return
            self._windows[session_id] = set()
        self._publish(session_id, {(kind, person_id)})
        self._schedule(session_id)

    def _schedule(self, session_id: int) -> None:
        timer = threading.Timer(self.delay, self._close_window, (session_id,))
        timer.daemon = True
        timer.start()

    def _close_window(self, session_id: int) -> None:
        with self._lock:
            changed = self._windows.get(session_id)
            if not changed:
                self._windows.pop(session_id, None)  # quiet: the next change goes out at once
                return
            self._windows[session_id] = set()  # busy: keep gathering
        try:
            self._publish(session_id, changed)
        finally:
            self._schedule(session_id)

    def _publish(self, session_id: int, changed: set) -> None:
        try:
            people = {(p["kind"], p["id"]): p for p in self.store.people(session_id)}
            changes = [people.get(key) or {"kind": key[0], "id": key[1], "gone": True} for key in sorted(changed)]
            self.hub.publish(session_id, {"type": "presence", "changes": changes})
        except Exception:  # presence is a nicety: never fail a connection over it
            log.exception("presence publish failed")


def init_app(app) -> None:
    hub = app.extensions["hub"]
    ttl = 3 * float(app.config["WS_PING_INTERVAL"]) + 5
    redis_client = getattr(hub, "redis", None)
    store = (RedisPresence(redis_client, ttl, app.config["LIVE_NAMESPACE"])
             if redis_client is not None else LocalPresence(ttl))
    app.extensions["presence"] = store
    app.extensions["presence_feed"] = PresenceFeed(hub, store, app.config["WS_PRESENCE_DELAY"])
