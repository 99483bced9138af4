"""Who is connected to a session and which card each of them is editing.

One entry per connection (a person with two tabs has two), merged per person
when listed. In one process a dict is enough; with ``REDIS_URL`` the entries
live in a Redis hash per session so every process lists everyone. Entries
carry a timestamp and are refreshed by their connection every ping interval,
so the entries of a crashed process disappear after ``ttl`` seconds.
"""
from __future__ import annotations

import json
import threading
import time



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

    def _key(self, session_id: int) -> str:
        return f"{self.namespace}:presence:{session_id}"

    def set(self, session_id: int, conn_id: str, entry: dict) -> None:
        key = self._key(session_id)
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


def init_app(app) -> None:
    hub = app.extensions["hub"]
    ttl = 3 * float(app.config["WS_PING_INTERVAL"]) + 5
    redis_client = getattr(hub, "redis", None)
    app.extensions["presence"] = RedisPresence(redis_client, ttl, app.config["LIVE_NAMESPACE"]) if redis_client is not None else LocalPresence(ttl)
