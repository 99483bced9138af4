"""Broadcast hub: fan-out of committed board events to every connection of a session.

Two implementations behind one interface (as CTFd does it): ``LocalHub`` for
one process, ``RedisHub`` when ``REDIS_URL`` is set so several gunicorn
workers or hosts serve one session together. A message is encoded once per
publish, never once per client. Each subscriber has a bounded queue: a slow
or stalled laptop overflows its own queue and is disconnected (it reconnects
and catches up from the event log) instead of holding up the others.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from collections import defaultdict

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "workshop:session:"


def encode(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


class Subscription:
    """One connection's inbox. ``get`` blocks; ``overflowed`` tells the sender to drop the client."""

    def __init__(self, hub: "LocalHub", session_id: int, maxsize: int = 1000):
        self.hub = hub
        self.session_id = session_id
        self.queue: queue.Queue = queue.Queue(maxsize)
        self.overflowed = False

    def put(self, data: str) -> None:
        try:
            self.queue.put_nowait(data)
        except queue.Full:
            self.overflowed = True

    def get(self, timeout: float | None = None) -> str | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.hub.unsubscribe(self)


class LocalHub:
    def __init__(self):
        self._subs: dict[int, set[Subscription]] = defaultdict(set)
        self._lock = threading.Lock()

    def subscribe(self, session_id: int) -> Subscription:
        sub = Subscription(self, session_id)
        with self._lock:
            self._subs[session_id].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.session_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.session_id]

    def subscriber_count(self, session_id: int) -> int:
        with self._lock:
            return len(self._subs.get(session_id, ()))

    def publish(self, session_id: int, message: dict) -> None:
        """Send a message to every connection of the session. Call only after commit."""
        self._deliver(session_id, encode(message))

    def _deliver(self, session_id: int, data: str) -> None:
        with self._lock:
            subs = list(self._subs.get(session_id, ()))
        for sub in subs:
            sub.put(data)

    def close(self) -> None:
        pass


class RedisHub(LocalHub):
    """Publishes through Redis pub/sub; one listener per process delivers locally."""

    def __init__(self, url: str):
        super().__init__()
        import redis

        self.redis = redis.Redis.from_url(url)
        self._listener: threading.Thread | None = None
        self._listener_lock = threading.Lock()
        self._ready = threading.Event()
        self._stopped = False
        self._pubsub = None

    def subscribe(self, session_id: int) -> Subscription:
        self._ensure_listener()
        return super().subscribe(session_id)

    def publish(self, session_id: int, message: dict) -> None:
        self.redis.publish(f"{CHANNEL_PREFIX}{session_id}", encode(message))

    def _ensure_listener(self) -> None:
        with self._listener_lock:
            if self._listener is None or not self._listener.is_alive():
                self._ready.clear()
                self._listener = threading.Thread(target=self._listen, name="redis-hub", daemon=True)
                self._listener.start()
        self._ready.wait(5)

    def _listen(self) -> None:
        import time

        backoff = 0.1
        while not self._stopped:
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
                self._pubsub = pubsub
                # wait for the subscription to be confirmed before declaring readiness
                pubsub.get_message(timeout=1.0, ignore_subscribe_messages=False)
                self._ready.set()
                backoff = 0.1
                while not self._stopped:
                    msg = pubsub.get_message(timeout=1.0)
                    if msg is None or msg.get("type") != "pmessage":
                        continue
                    channel = msg["channel"].decode() if isinstance(msg["channel"], bytes) else msg["channel"]
                    data = msg["data"].decode() if isinstance(msg["data"], bytes) else msg["data"]
                    try:
                        session_id = int(channel[len(CHANNEL_PREFIX):])
                    except ValueError:
                        continue
                    self._deliver(session_id, data)
            except Exception:  # connection lost: log, back off, resubscribe
                log.exception("redis hub listener failed; reconnecting")
                self._ready.set()
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    def close(self) -> None:
        self._stopped = True


def make_hub(redis_url: str | None) -> LocalHub:
    return RedisHub(redis_url) if redis_url else LocalHub()


def init_app(app) -> None:
    app.extensions["hub"] = make_hub(app.config.get("REDIS_URL"))
