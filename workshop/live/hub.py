"""Broadcast hub: fan-out of committed board events to every connection of a session.

Two implementations behind one interface (as CTFd does it): ``LocalHub`` for
one process, ``RedisHub`` when ``REDIS_URL`` is set so several gunicorn
workers or hosts serve one session together.

- A message is encoded once per publish, never once per client: every
  subscriber receives the same ``Frame`` (``seq`` and JSON ``text``) so the
  sender of a connection can keep events in order (and fill gaps from the
  event log) without decoding them again, and the websocket frame bytes are
  built once too. ``seq`` is None for messages outside the event order
  (presence).
- The hub hands each frame to the connection's own ``put``, which writes it
  to the socket at once when nothing is waiting (no queue, no thread switch
  per delivery) or leaves it in the connection's bounded outbox; a slow or
  stalled laptop overflows its own outbox and is disconnected (it reconnects
  and catches up from the event log) instead of holding up the others. See
  ``live/socket.py``.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "workshop:session:"
REDIS_MAX_CONNECTIONS = 50  # per process, shared by publishing and presence (the listener has its own)


# one encoder for every frame: ``json.dumps`` with options builds a new one per call
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(message: dict) -> str:
    return _ENCODER.encode(message)


def websocket_text_frame(text: str) -> bytes:
    """One unfragmented, unmasked text frame (RFC 6455 §5.2), as a server sends it.

    Server frames carry no mask, so the bytes are the same for every client
    and are built once per broadcast. Only valid without extensions
    (permessage-deflate is off by default; see ``live/socket.py``).
    """
    # "replace": JSON from a client may hold a lone surrogate (a "\ud800" escape), which an error frame
    # echoes (its op_id, an unknown type); UTF-8 cannot carry it, so it goes as "?"
    payload = text.encode("utf-8", "replace")
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 1 << 16:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload


class Frame:
    """One published message, shared by all the subscribers it is delivered to."""

    __slots__ = ("seq", "text", "plain", "_wire", "legacy", "nameless", "legacy_nameless")

    def __init__(self, seq: int | None, text: str):
        self.seq = seq
        self.text = text
        # an event every connection may write as it is (not one that may end a connection or switch
        # names off, which the sender handles): looked at once here, not once per connection
        self.plain = seq is not None and '"participant.remove"' not in text and '"session.settings"' not in text
        self._wire: bytes | None = None
        self.legacy: str | None = None  # presence changes as the whole list, for clients without deltas
        # the same two presence forms without names, for participants while names are hidden
        self.nameless: str | None = None
        self.legacy_nameless: str | None = None

    @property
    def wire(self) -> bytes:
        """The websocket frame, built by the first connection that sends it."""
        if self._wire is None:
            self._wire = websocket_text_frame(self.text)
        return self._wire


class Subscription:
    """One connection's place in the hub: ``put`` is the connection's own (non-blocking) delivery."""

    __slots__ = ("hub", "session_id", "put", "put_many")

    def __init__(self, hub: "LocalHub", session_id: int, sink):
        self.hub = hub
        self.session_id = session_id
        self.put = sink.put  # bound once: the fan-out calls it for every delivery
        self.put_many = sink.put_many  # several frames in order, at once (a group commit's events)

    def close(self) -> None:
        self.hub.unsubscribe(self)
        # a fan-out already under way may still call them; and no cycle is left
        self.put = self.put_many = _discard


def _discard(item) -> None:
    pass


class LocalHub:
    def __init__(self):
        self._subs: dict[int, set[Subscription]] = defaultdict(set)
        self._lock = threading.Lock()

    def subscribe(self, session_id: int, sink) -> Subscription:
        """Deliver the session's messages to ``sink.put(frame)`` and ``sink.put_many(frames)``; they must never block."""
        sub = Subscription(self, session_id, sink)
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

    def publish(self, session_id: int, message: dict) -> str:
        """Send a message to every connection of the session. Call only after commit.

        Returns the encoded text (the publisher's own connection reuses it).
        """
        text = encode(message)
        self._deliver(session_id, [Frame(message.get("seq"), text)])
        return text

    def publish_many(self, session_id: int, messages: list[dict]) -> list[str]:
        """Several messages of one session, in order (the events of one group commit). Each
        connection gets them together: one write to its socket where one write may carry them.

        Returns their encoded texts.
        """
        texts = [encode(m) for m in messages]
        self._deliver(session_id, [Frame(m.get("seq"), t) for m, t in zip(messages, texts)])
        return texts

    def _deliver(self, session_id: int, frames: list[Frame]) -> None:
        """Hand the frames to every connection of the session: each writes them to its socket
        (together, when it may) or keeps them in its outbox."""
        if not frames:
            return
        with self._lock:
            subs = tuple(self._subs.get(session_id, ()))
        one = frames[0] if len(frames) == 1 else None
        for sub in subs:
            try:
                if one is not None:
                    sub.put(one)
                else:
                    sub.put_many(frames)
            except Exception:  # noqa: BLE001 - one connection's trouble never keeps the frames from the others
                log.exception("delivering to a connection of session %s failed", session_id)

    def close(self) -> None:
        pass


class RedisHub(LocalHub):
    """Publishes through Redis pub/sub; one listener per process delivers locally.

    The Redis payload is ``"<seq>|<json>"`` (seq empty for presence) so the
    listener hands subscribers the sequence number without parsing JSON.
    """

    def __init__(self, url: str, prefix: str = CHANNEL_PREFIX):
        super().__init__()
        import redis

        self.url = url
        self.prefix = prefix
        # A blocking pool: under gevent hundreds of greenlets publish and update
        # presence at once; the default pool raises "Too many connections"
        # instead of waiting for a free one.
        self.redis = redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(
            url, max_connections=REDIS_MAX_CONNECTIONS, timeout=10))
        self._listener: threading.Thread | None = None
        self._listener_lock = threading.Lock()
        self._ready = threading.Event()
        self._stopped = False
        self._pubsub = None

    def subscribe(self, session_id: int, sink) -> Subscription:
        self._ensure_listener()
        return super().subscribe(session_id, sink)

    def publish(self, session_id: int, message: dict) -> str:
        seq = message.get("seq")
        text = encode(message)
        self.redis.publish(f"{self.prefix}{session_id}", f"{'' if seq is None else seq}|{text}")
        return text

    def publish_many(self, session_id: int, messages: list[dict]) -> list[str]:
        """Several messages of one session, in order, in one round trip to Redis."""
        texts = [encode(m) for m in messages]
        channel = f"{self.prefix}{session_id}"
        with self.redis.pipeline(transaction=False) as pipe:
            for message, text in zip(messages, texts):
                seq = message.get("seq")
                pipe.publish(channel, f"{'' if seq is None else seq}|{text}")
            pipe.execute()
        return texts

    def _ensure_listener(self) -> None:
        with self._listener_lock:
            if self._listener is None or not self._listener.is_alive():
                self._ready.clear()
                self._listener = threading.Thread(target=self._listen, name="redis-hub", daemon=True)
                self._listener.start()
        self._ready.wait(5)

    def _listen(self) -> None:
        backoff = 0.1
        while not self._stopped:
            pubsub = None
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                self._pubsub = pubsub
                pubsub.psubscribe(f"{self.prefix}*")
                # wait for the subscription to be confirmed before declaring readiness
                pubsub.get_message(timeout=1.0, ignore_subscribe_messages=False)
                self._ready.set()
                backoff = 0.1
                while not self._stopped:
                    # A blocking read, not get_message(timeout=…): that polls the socket under a
                    # new timer for every message. close() ends the read by closing the connection.
                    response = pubsub.parse_response(block=True)
                    if response and response[0] in (b"pmessage", "pmessage"):
                        self._on_message(response[2], response[3])
            except Exception:  # connection lost: log, back off, resubscribe
                if self._stopped:
                    return
                # Messages published meanwhile are lost for this process; each
                # connection's sender notices the gap at the next event and
                # fills it from the event log.
                log.exception("redis hub listener failed; reconnecting")
                self._ready.set()
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # noqa: BLE001 - closing a broken connection
                        pass

    def _on_message(self, channel, data) -> None:
        channel = channel.decode() if isinstance(channel, bytes) else channel
        data = data.decode() if isinstance(data, bytes) else data
        try:
            session_id = int(channel[len(self.prefix):])
            seq_text, text = data.split("|", 1)
            seq = int(seq_text) if seq_text else None
        except ValueError:
            log.warning("ignoring malformed hub message on %s", channel)
            return
        self._deliver(session_id, [Frame(seq, text)])

    def close(self) -> None:
        self._stopped = True
        pubsub = self._pubsub
        if pubsub is not None:
            try:
                pubsub.close()  # wakes the listener's blocking read
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass


def make_hub(redis_url: str | None, namespace: str = "workshop") -> LocalHub:
    return RedisHub(redis_url, f"{namespace}:session:") if redis_url else LocalHub()


def init_app(app) -> None:
    # LIVE_NAMESPACE separates installations (or test runs) that share one Redis:
    # pub/sub channels are not scoped by Redis database number.
    app.extensions["hub"] = make_hub(app.config["REDIS_URL"], app.config["LIVE_NAMESPACE"])
