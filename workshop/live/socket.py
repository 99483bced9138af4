"""The websocket endpoint (flask-sock): ``/ws/sessions/<id>``, one per board.

The protocol is described in ``docs/protocol.md``. This module is a thin face
like the HTTP views: board changes go through ``workshop.board`` (validate,
apply, flush), the transaction is committed here and only then published.

Per connection there are two threads (greenlets under gevent), and one pinger for all:

- the *reader* (the request handler itself) parses frames and applies
  operations in short transactions; it waits for frames without a timeout
  (an idle socket costs nothing between pings);
- the *sender* drains the connection's outbox (broadcasts, acks, errors,
  catch-up requests), so one thread at a time writes to the socket.

Fan-out at the stack's cost: the hub calls ``LiveConnection.put`` for each
connection. When the outbox is empty, the sender idle and the frame is the
next one in order, ``put`` writes the shared frame bytes to the socket right
there, without waiting (one ``send`` system call, no queue, no thread switch,
no timer): the way a bare flask-sock relay writes to its peers. What the
kernel does not take at once, and everything that needs ordering or a
database read, goes to the outbox and wakes the sender. The outbox is
bounded (``WS_OUTBOX_SIZE``): a stalled laptop first fills its kernel buffer,
then its outbox, and is then closed with 4408; it never holds up the others.

The sender keeps events in ``seq`` order: a published event that skips ahead is
  held back for up to ``WS_REORDER_WAIT`` seconds (with several processes,
  events of one session arrive through Redis in publish order, which can
  differ from commit order by a few milliseconds); what is still missing
  then is read from the event log. Events already sent are dropped. An ack
  is written only after the event it acknowledges.

Decisions (measurements in docs/deployment.md):

- permessage-deflate is off: simple-websocket accepts whatever the browser
  offers, and on our small JSON frames compression costs about 2.6× the CPU
  and 3× the memory for little gain. We strip ``Sec-WebSocket-Extensions``
  from the upgrade request (``WS_PERMESSAGE_DEFLATE = True`` turns it back on).
- Pings go out every ``WS_PING_INTERVAL`` seconds from one pinger thread per
  process (``pinger.py``), through ``put`` like any frame, not from
  simple-websocket's ``ping_interval``: that one writes from the reader thread,
  which would make two writers on one socket, and keeps a timer per socket. A
  connection that has not answered the previous ping is closed (4409).
- Frames larger than ``WS_MAX_MESSAGE_SIZE`` get an error frame (``too_large``);
  frames over ``WS_HARD_MESSAGE_SIZE`` are cut off by simple-websocket's
  ``max_message_size`` and close the connection (1009). Operations pass a
  per-connection token bucket (``ratelimit.py``) before they reach the database.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import socket
import threading
import time
import uuid
import weakref
from collections import deque
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_sock import Sock
from sqlalchemy import bindparam, select
from simple_websocket import ConnectionClosed, Server
from wsproto import ConnectionType
from wsproto.connection import Connection as _WsprotoConnection, ConnectionState
from wsproto.events import TextMessage
from wsproto.utilities import LocalProtocolError

from ..board import Actor, BoardError
from ..board.prepared import Prepared
from ..db import autocommit_reads, db, read_transaction
from ..models import Facilitator, Participant
from ..identity import require_member
from ..board.redact import people_without_names
from . import catchup, collector
from .pinger import pinger_for
from .writer import Job, apply_in_transaction, writer_for
from .hub import Frame, encode, websocket_text_frame
from .locks import GREENLET_THREADS, lock
from .ratelimit import TokenBucket, rate_limited_frame

log = logging.getLogger(__name__)

class _EndedWebSocket(Response):
    """What a websocket route returns once its socket has ended: the server already answered.

    The same as flask-sock's, defined once: flask-sock 0.7 defines this class anew inside
    every connection's route function, so each closed socket left a class (with its
    functions and method cache) that only a garbage collection frees. A thousand sockets
    closing made the next young collection a 20-50 ms pause.
    """

    ws_mode: str | None = None

    def __call__(self, environ, start_response):
        if self.ws_mode == "gunicorn":
            raise StopIteration()
        if self.ws_mode == "werkzeug":
            return super().__call__(environ, start_response)
        return []


_ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3


class _Server(Server):
    """simple-websocket's server, answering the ordinary opening handshake itself.

    simple-websocket rebuilds the HTTP request from the WSGI environ and parses it
    again with h11 (through wsproto): about a tenth of what setting up a connection
    cost. The upgrade request was already parsed by the web server, so for the
    ordinary one (GET, ``Upgrade: websocket``, version 13, a key, a host, no
    extension or subprotocol asked for) the 101 answer is written here and
    wsproto starts in the open state. Anything else, permessage-deflate when it is
    allowed or a malformed request, goes the library's way.
    """

    def handshake(self):
        env = self.environ
        key = env.get("HTTP_SEC_WEBSOCKET_KEY", "").strip(" \t")  # h11 strips; some servers leave it
        connection = {t.strip() for t in env.get("HTTP_CONNECTION", "").lower().split(",")}
        if (env.get("REQUEST_METHOD") != "GET" or env.get("HTTP_SEC_WEBSOCKET_VERSION") != "13"
                or env.get("HTTP_UPGRADE", "").lower() != "websocket" or "upgrade" not in connection
                or not key or not key.isascii() or not env.get("HTTP_HOST")
                or "HTTP_SEC_WEBSOCKET_EXTENSIONS" in env or "HTTP_SEC_WEBSOCKET_PROTOCOL" in env):
            return super().handshake()
        accept = base64.b64encode(hashlib.sha1(key.encode("ascii") + _ACCEPT_GUID).digest())
        self.sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        self.ws.connection = _WsprotoConnection(ConnectionType.SERVER)
        self.plain_frames = True  # no extension: the reader may parse the usual frame itself
        self.connected = True


class _Sock(Sock):
    """flask-sock's extension, with a route that returns ``_EndedWebSocket`` (otherwise its own)
    and answers the handshake with ``_Server``."""

    def route(self, path, bp=None, **kwargs):
        def decorator(f):
            @wraps(f)
            def websocket_route(*args, **kw):
                ws = _Server(request.environ, **current_app.config.get("SOCK_SERVER_OPTIONS", {}))
                try:
                    f(ws, *args, **kw)
                except ConnectionClosed:
                    pass
                try:
                    ws.close()
                except Exception:  # noqa: BLE001 - already closed, as flask-sock ignores it
                    pass
                response = _EndedWebSocket()
                response.ws_mode = ws.mode
                return response

            kwargs["websocket"] = True
            if bp:
                bp.route(path, **kwargs)(websocket_route)
            elif self.app:
                self.app.route(path, **kwargs)(websocket_route)
            else:
                if self.bp is None:
                    self.bp = Blueprint("__flask_sock", __name__)  # flask-sock's name: init_app registers it
                self.bp.route(path, **kwargs)(websocket_route)
            return websocket_route

        return decorator


sock = _Sock()

ENDPOINT = "__flask_sock.session_socket"

# close codes (4000-4999 are ours; see docs/protocol.md)
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_NOT_ALLOWED = 4403   # not (or no longer) a member of this session: do not reconnect
CLOSE_TOO_SLOW = 4408      # the outbox overflowed: reconnect and catch up
CLOSE_PING_TIMEOUT = 4409  # no answer to a ping

HELLO_TIMEOUT = 15
CLOSE_LINGER = 10  # seconds a closed connection waits for the client's side of the close

# What a client may announce in hello's ``features`` (docs/protocol.md).
FEATURE_PRESENCE_DELTA = "presence-delta"
FEATURE_COMPACT_SNAPSHOT = "compact-snapshot"
PRESENCE_PREFIX = '{"type":"presence"'  # how hub.encode begins any presence frame
PRESENCE_DELTA_PREFIX = '{"type":"presence","changes"'  # … and a presence change

PING = ("ping", None, None)  # an outbox item: a ping frame
PING_FRAME = bytes((0x89, 0))  # a server's ping without payload (unmasked, RFC 6455 §5.5.2): the same for all

try:  # a gevent socket takes a timeout per call; 0 means "never wait"
    from gevent.socket import socket as _GeventSocket
except ImportError:  # pragma: no cover - gevent is a dependency
    _GeventSocket = None


def _without_names(text: str, key: str) -> str:
    """A presence frame (``key``: its list of people or changes) with every name taken out."""
    message = json.loads(text)
    return encode(dict(message, **{key: people_without_names(message.get(key) or [])}))


def send_nowait(sock, data) -> int:
    """Write what the kernel takes now; the number of bytes written (0 when its buffer is full)."""
    try:
        if _GeventSocket is not None and type(sock) is _GeventSocket:
            return sock._sock.send(data)  # gevent's own socket underneath: non-blocking, no wrapper
        if _GeventSocket is not None and isinstance(sock, _GeventSocket):  # gevent's TLS socket
            return sock.send(data, 0, 0.0)
        return sock.send(data, socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return 0


def _spawn(target, name: str):
    """Run ``target`` in a thread of its own; returns something with ``join(timeout)``.

    Under gevent's monkey-patching a bare greenlet: ``threading.Thread`` adds bookkeeping
    (registries, a start-up handshake, a new excepthook closure per thread) that was about
    7 % of what a joining websocket cost. ``target`` must catch its own exceptions.
    """
    if GREENLET_THREADS:
        import gevent

        return gevent.spawn(target)
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


class _ReaderThread:
    """simple-websocket's reader thread (its ``thread_class``), which always wakes ``receive`` when it ends.

    simple-websocket can set its event just before it marks the connection
    closed (an oversized frame), which would leave a ``receive()`` without a
    timeout waiting for ever; so the reader waits without polling and this
    wakes it once more at the end. Started with ``_spawn`` (a bare greenlet under gevent).
    """

    def __init__(self, target=None, **_kwargs):
        self._reader = target
        self.name = "ws-reader (_thread)"  # simple-websocket rewrites the "(_thread)" part

    def start(self) -> None:
        _spawn(self._read, self.name)

    def _read(self):
        try:
            ws = getattr(self._reader, "__self__", None)
            if getattr(ws, "plain_frames", False) and not ws.ping_interval:
                _read_plain(ws)
            else:
                self._reader()
        except Exception:  # noqa: BLE001 - a bare greenlet has no excepthook: log what threading would print
            log.exception("websocket reader failed")
        finally:
            ws = getattr(self._reader, "__self__", None)
            self._reader = None  # ws.thread is this object: no cycle left for the collector
            if ws is not None:
                ws.connected = False
                ws.event.set()


def _unmask(payload: bytes, mask: bytes) -> bytes:
    """A client frame's payload, unmasked (RFC 6455 §5.3): one XOR of two big integers."""
    n = len(payload)
    if not n:
        return b""
    key = int.from_bytes((mask * ((n >> 2) + 1))[:n], "little")
    return (int.from_bytes(payload, "little") ^ key).to_bytes(n, "little")


def _to_wsproto(ws, data: bytes) -> bool:
    """Bytes for wsproto to parse, as simple-websocket's reader does; False once the connection ends."""
    ws.ws.receive_data(data)
    ws.connected = ws._handle_events()
    return ws.connected


_PLAIN_BUFFER = 64 * 1024  # a longer frame still arriving goes to wsproto, which parses as it comes


def _read_plain(ws) -> None:
    """simple-websocket's reader loop (``Base._thread`` without its ping timer), for a connection
    without extensions, reading the usual client frame itself.

    Nearly every frame a client sends is one whole text message: final, masked, no reserved bits,
    not part of a fragmented message, within the size limit. That one is unmasked, decoded and
    handed to ``receive`` here: wsproto's parser (its frame objects, events and per-frame
    generators) was about a twentieth of the worker's CPU for what is a header and an XOR. Every
    other frame (control frames, fragments, binary, invalid UTF-8, an oversized or malformed
    one, one over 64 KiB still arriving) goes to wsproto whole, or its beginning and then exactly its remaining bytes, so
    wsproto's parser is always at a frame boundary and answers those as before (a pong, a
    close with 1002, 1007 or 1009).
    """
    sock, size, limit = ws.sock, ws.receive_bytes, ws.max_message_size
    buf = b""
    owed = 0  # bytes of a frame begun in wsproto that it has still to get
    in_message = False  # a fragmented message is under way: wsproto puts it together
    try:
        while ws.connected:
            data = sock.recv(size)
            if not data:
                raise OSError()
            if owed:
                give, data = data[:owed], data[owed:]
                owed -= len(give)
                if not _to_wsproto(ws, give):
                    break
            buf = buf + data if buf else data
            while buf:
                n = len(buf)
                if n < 2:
                    break
                b0, b1 = buf[0], buf[1]
                length, start = b1 & 0x7F, 2
                if length == 126:
                    if n < 4:
                        break
                    length, start = int.from_bytes(buf[2:4], "big"), 4
                elif length == 127:
                    if n < 10:
                        break
                    length, start = int.from_bytes(buf[2:10], "big"), 10
                masked = b1 & 0x80
                end = start + (4 if masked else 0) + length
                if (b0 == 0x81 and masked and not in_message and (not limit or length <= limit)
                        and (n >= end or end <= _PLAIN_BUFFER)):
                    if n < end:
                        break  # the rest of this frame is still on its way
                    try:
                        text = _unmask(buf[start + 4:end], buf[start:start + 4]).decode("utf-8")
                    except UnicodeDecodeError:
                        text = None  # wsproto closes the connection with 1007
                    if text is not None:
                        buf = buf[end:]
                        ws.input_buffer.append(text)
                        ws.event.set()
                        continue
                if b0 & 0x0F in (0, 1, 2):  # a data frame: a message goes on unless it is final
                    in_message = not b0 & 0x80
                give, buf = buf[:end], buf[end:]
                owed = end - len(give)
                if not _to_wsproto(ws, give):
                    return
    except (OSError, LocalProtocolError):
        ws.connected = False
        ws.event.set()
    finally:
        sock.close()


def _origin_allowed(origin: str | None) -> bool:
    """Same host as the request, or listed in WS_ALLOWED_ORIGINS.

    Browsers always send Origin on a websocket upgrade; a request without it
    comes from a non-browser client, which cross-site hijacking cannot use.
    """
    if not origin:
        return True
    allowed = current_app.config["WS_ALLOWED_ORIGINS"]
    if origin.rstrip("/") in {o.rstrip("/") for o in allowed}:
        return True
    try:
        return urlsplit(origin).netloc.lower() == request.host.lower()
    except ValueError:
        return False


def _guard_upgrade():
    """Before the upgrade: refuse with a plain HTTP status so nothing is accepted."""
    if request.endpoint != ENDPOINT:
        return None
    if not _origin_allowed(request.headers.get("Origin")):
        log.info("websocket refused: foreign origin %r", request.headers.get("Origin"))
        abort(403)
    actor, anonymous = require_member(request.view_args.get("session_id"))  # 404 before the upgrade
    g.live_actor = actor
    # the login this socket was opened with: a logout (which raises the version) ends the socket too
    g.live_login_version = current_user.session_version if actor.kind == "facilitator" else None
    g.live_anonymous = anonymous
    db.session.remove()  # do not hold a connection (or SQLite's lock) for the socket's lifetime
    if not current_app.config["WS_PERMESSAGE_DEFLATE"]:
        request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
    return None


@sock.route("/ws/sessions/<int:session_id>")
def session_socket(ws, session_id: int):
    try:
        # Small frames must leave at once: without TCP_NODELAY, Nagle's algorithm
        # holds a frame back until the previous one is acknowledged (up to 40 ms).
        ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass
    app = current_app._get_current_object()
    try:
        with _open_lock:
            _open[0] += 1
        LiveConnection(app, ws, session_id, g.live_actor, g.live_anonymous, g.live_login_version).run()
    finally:
        with _open_lock:
            _open[0] -= 1
            last = _open[0] == 0
        # End the TCP connection now: Werkzeug's server would otherwise keep it
        # open for keep-alive and the client would wait for it after a close frame.
        # Only our side (FIN after what is still queued): closing both sides while
        # the client still sends (its close reply) would reset the connection and
        # discard frames not yet delivered, the close code (e.g. 4408) among them.
        # simple-websocket's reader ends at the client's close or after CLOSE_LINGER.
        try:
            ws.sock.settimeout(CLOSE_LINGER)
            ws.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        if last:
            collector.idle(lambda: _open[0] == 0)  # nobody connected: a good moment for a complete collection


_open = [0]  # websockets open in this process
_open_lock = threading.Lock()


def init_app(app) -> None:
    # Frames over WS_MAX_MESSAGE_SIZE get an error frame and the connection stays
    # usable; only frames over the hard cap (4× that, at least 256 KiB) are not
    # even read to the end: simple-websocket closes those with 1009.
    app.config.setdefault("SOCK_SERVER_OPTIONS", {
        "max_message_size": app.config["WS_HARD_MESSAGE_SIZE"],
        "ping_interval": None,  # the sender pings; see the module docstring
        "thread_class": _ReaderThread,
    })
    app.before_request(_guard_upgrade)
    sock.init_app(app)
    from .presence import init_app as init_presence
    init_presence(app)


class _Recent:
    """A value per key (a session's participants, an account's login version), read at most once
    per ``max_age`` for all the sockets of this process.

    The idle check of every connection (once per ping interval) asks whether its
    participant is still a member, or its facilitator still logged in; a thousand
    idle sockets made that forty queries a second. One query per key and interval
    answers them all. (A removal also reaches every open connection at once as its event.)
    """

    def __init__(self, fn):
        self._fn = fn  # fn(connection, key) -> value
        # per database engine: key -> (read at, value)
        self._caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, engine, read, key: int, max_age: float):
        """``read(fn, key)`` runs the read (only when the cache is old)."""
        cache = self._caches.setdefault(engine, {})
        now = time.monotonic()
        hit = cache.get(key)
        if hit is None or now - hit[0] > max_age:
            hit = (now, read(self._fn, key))
            cache[key] = hit
            if len(cache) > 4096:  # sessions or logins long gone
                for k in [k for k, v in cache.items() if now - v[0] > max_age]:
                    del cache[k]
        return hit[1]


_MEMBER_IDS = Prepared(select(Participant.id).where(Participant.session_id == bindparam("sid"),
                                                    Participant.removed_at.is_(None)))
_LOGIN_VERSION = Prepared(select(Facilitator.session_version).where(Facilitator.id == bindparam("fid")))


def _single_read(fn, key: int):
    """``fn(conn, key)`` on a connection without a transaction around it (one statement)."""
    with autocommit_reads(db.engine) as conn:
        return fn(conn, key)


def _current_participants(conn, session_id: int) -> frozenset:
    return frozenset(row.id for row in _MEMBER_IDS.rows(conn, {"sid": session_id}))


def _login_version(conn, facilitator_id: int) -> int | None:
    row = _LOGIN_VERSION.first(conn, {"fid": facilitator_id})
    return row.session_version if row is not None else None


_members = _Recent(_current_participants)
_login_versions = _Recent(_login_version)


class _Stop(Exception):
    pass


_SENT = object()  # what LiveConnection._wire_now says of a frame already sent (our own copy, or from the log)


class LiveConnection:
    """One websocket of one session: a reader (this thread) and a sender thread."""

    # Slots, not an instance dict: the fan-out reads a handful of these on every connection of a
    # session for every change, each object cold in the cache. CPython 3.11 shares a class's
    # attribute keys (and reads them at fixed offsets) only up to 30 attributes; past that each
    # instance has its own dict, and those reads were about three times slower.
    __slots__ = ("actor", "anonymous", "app", "awaiting_pong", "busy", "catchup_max", "closed", "conn_id",
                 "editing", "features", "held", "held_acks", "hold_until", "hub", "last_sent", "lock",
                 "logged_out_message", "login_version", "max_message", "op_bucket", "out", "outbox_size",
                 "overflowed", "pending", "ping_interval", "presence", "presence_feed", "removed_message",
                 "reorder_wait", "session_id", "shared_frames", "sub", "synced", "wake", "writer", "ws",
                 "__weakref__")

    def __init__(self, app, ws, session_id: int, actor: Actor, anonymous: bool,
                 login_version: int | None = None):
        self.app = app
        self.login_version = login_version  # a facilitator's: Facilitator.session_version at the upgrade
        self.ws = ws
        self.session_id = session_id
        self.actor = actor
        self.anonymous = anonymous
        self.conn_id = uuid.uuid4().hex
        self.hub = app.extensions["hub"]
        self.presence = app.extensions["presence"]
        self.presence_feed = app.extensions["presence_feed"]
        self.ping_interval = float(app.config["WS_PING_INTERVAL"])
        self.catchup_max = int(app.config["WS_CATCHUP_MAX"])
        self.max_message = int(app.config["WS_MAX_MESSAGE_SIZE"])
        self.op_bucket = TokenBucket.from_config(app.config)
        self.sub = None
        self.writer = None  # the session's SessionWriter, from the first operation on
        self.features: frozenset = frozenset()
        # the outbox: items that wait for the sender (see the module docstring)
        self.lock = lock()  # guards out/busy and, while the sender is not busy, the order state
        self.out: deque = deque()
        self.outbox_size = int(app.config.get("WS_OUTBOX_SIZE") or 1000)
        self.wake = threading.Event()
        self.busy = False  # the sender owns the socket and the order state
        self.overflowed = False
        # Broadcast frames are framed once per publish and shared (Frame.wire),
        # unless an extension (permessage-deflate) changes the bytes per connection.
        self.shared_frames = not app.config["WS_PERMESSAGE_DEFLATE"]
        self.pending: list[bytes] = []  # written together at the end of a batch
        self.last_sent = 0
        # out-of-order events and acks waiting for the events before them
        self.reorder_wait = float(app.config["WS_REORDER_WAIT"])
        self.held: dict[int, Frame] = {}
        self.held_acks: list[tuple[int, str]] = []
        self.hold_until: float | None = None
        self.synced = False  # events queued before the first sync are covered by it
        self.awaiting_pong = False
        self.editing = None
        self.closed = threading.Event()
        # translated now, in the upgrade request: the sender thread has no request (and no locale)
        self.removed_message = _("You are no longer a participant of this session.")
        self.logged_out_message = _("You have been logged out. Log in again to continue.")

    # -- reader -------------------------------------------------------------

    def run(self) -> None:
        # Subscribe before reading anything, so no event committed from now on is missed.
        self.sub = self.hub.subscribe(self.session_id, self)
        sender = None
        present = False
        try:
            first = self.ws.receive(timeout=HELLO_TIMEOUT)
            if first is None:
                self._close(CLOSE_POLICY, "hello expected")
                return
            frame = self._parse(first)
            if frame is None or frame.get("type") != "hello":
                self._send_now(self._error("hello_required", _("The first message must be “hello”.")))
                self._close(CLOSE_POLICY, "hello expected")
                return
            self._hello(frame)
            collector.tick()
            # present before the sender starts: the sync it sends first lists this connection too
            # (with threads, or a presence store that yields, it could otherwise run before)
            present = True
            self._set_presence(None, broadcast=True)
            sender = _spawn(self._sender, f"ws-sender-{self.conn_id[:6]}")
            pinger_for(self.app).add(self)
            while not self.closed.is_set():
                data = self.ws.receive()  # no timeout: _ReaderThread wakes us when the socket ends
                if data is None:
                    continue
                frame = self._parse(data)
                if frame is not None:
                    self._dispatch(frame)
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()
            self.sub.close()
            self.put(("stop", None, None))
            if sender is not None:
                sender.join(timeout=5)
            if present:
                self._leave_presence()
            db.session.remove()

    def _parse(self, data):
        if len(data) > self.max_message:
            self._queue(self._error("too_large", _("This message is too large (at most %(max)d bytes).",
                                                   max=self.max_message)))
            return None
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                data = None
        try:
            frame = json.loads(data) if data is not None else None
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            frame = None
        if not isinstance(frame, dict):
            self._queue(self._error("malformed", _("A message must be a JSON object.")))
            return None
        return frame

    def _dispatch(self, frame: dict) -> None:
        collector.tick()  # the collector's guard: a look after every 50 ms of the worker's CPU
        kind = frame.get("type")
        if kind == "op":
            self._on_op(frame)
        elif kind == "sync":
            self.put(("sync", frame.get("last_seq"), "sync"))
        elif kind == "presence":
            editing = frame.get("editing")
            if editing is not None and (not isinstance(editing, int) or isinstance(editing, bool) or editing < 1):
                self._queue(self._error("wrong_type", _("“editing” must be a card id or null."), field="editing"))
                return
            if editing != self.editing:
                self._set_presence(editing, broadcast=True)
        elif kind == "ping":
            self._queue(encode({"type": "pong"}))
        elif kind == "hello":
            self._hello(frame)
        elif not isinstance(kind, str):
            self._queue(self._error("missing_field", _("The field “%(name)s” is required.", name="type"),
                                    field="type"))
        else:
            self._queue(self._error("unknown_type", _("Unknown message type: %(type)s.", type=kind[:40])))

    def _on_op(self, frame: dict) -> None:
        op = frame.get("op")
        op_id = op.get("op_id") if isinstance(op, dict) else None
        op_id = op_id if isinstance(op_id, str) else None
        if op is None:
            self._queue(self._error("missing_field", _("The field “%(name)s” is required.", name="op"),
                                    field="op"))
            return
        if not isinstance(op, dict):
            self._queue(self._error("wrong_type", _("“op” must be an object."), field="op"))
            return
        if not self.op_bucket.take():
            self._queue(rate_limited_frame(op_id, self.op_bucket.retry_after()))
            return
        self._apply(op, op_id)

    def _apply(self, op: dict, op_id: str | None) -> None:
        text = None
        try:
            engine = self.app.extensions["db"].engine  # db.engine, without the context-local lookups
            if self.app.config["WS_WRITER_LOCK"]:  # the session's writer applies and publishes (writer.py)
                job = Job(self.actor, op, self.login_version)
                if self.writer is None:  # held as long as the connection: the session keeps one writer
                    self.writer = writer_for(self.app, self.session_id)
                result = self.writer.submit(engine, self.hub, job)
                text = job.text
            else:
                result = apply_in_transaction(engine, self.session_id, self.actor, op, self.login_version)
        except BoardError as err:
            self._queue(self._error(err.code, err.translated(_), op_id, err.field))
            if err.code in ("removed", "logged_out"):
                self._queue_close(CLOSE_NOT_ALLOWED, err.code)
            return
        except Exception:
            log.exception("operation failed in session %s", self.session_id)
            self._queue(self._error("server_error", _("Something went wrong; the change was not saved."), op_id))
            return
        if not result.duplicate:
            if text is None and not self.app.config["WS_WRITER_LOCK"]:
                text = self.hub.publish(self.session_id, result.event)
            # our own copy first, so the ack below never overtakes its event
            # (a copy from the hub is dropped as already sent)
            self.put(Frame(result.seq, text if text is not None else encode(result.event)))
        self.put(("ack", result.seq, encode({"type": "ack", "op_id": result.op_id, "seq": result.seq,
                                                 "duplicate": result.duplicate})))

    def _still_member(self) -> bool:
        """The participant was not removed since the upgrade (which verified the token)."""
        return self.actor.id in _members.get(db.engine, _single_read, self.session_id, self.ping_interval / 2)

    def _still_logged_in(self) -> bool:
        """The facilitator's login (checked at the upgrade) was not ended since, by a logout."""
        return _login_versions.get(db.engine, _single_read, self.actor.id,
                                   self.ping_interval / 2) == self.login_version

    # -- presence -----------------------------------------------------------

    def _presence_entry(self) -> dict:
        # the real name stays on the server; it is taken out per connection when sent (_people)
        return {"kind": self.actor.kind, "id": self.actor.id, "name": self.actor.name, "editing": self.editing}

    def _hides_names(self) -> bool:
        return self.anonymous and not self.actor.is_facilitator

    def _people(self, people: list[dict] | None = None) -> list[dict]:
        """Presence as this connection may see it."""
        people = self.presence.people(self.session_id) if people is None else people
        return people_without_names(people) if self._hides_names() else people

    @staticmethod
    def _names_setting(text: str) -> bool | None:
        """Whether a ``session.settings`` event hides names (None: any other event)."""
        if '"session.settings"' not in text:
            return None
        message = json.loads(text)
        settings = (message.get("data") or {}).get("settings") or {}
        if message.get("event") == "session.settings" and "anonymous" in settings:
            return bool(settings["anonymous"])
        return None

    def _follow_names(self, text: str) -> None:
        """A live ``session.settings`` event switched names off or on: follow it, with a fresh presence at once."""
        hidden = self._names_setting(text)
        if hidden is not None:
            self._set_names_hidden(hidden)

    def _replay(self, events) -> None:
        """Write events from the log; only the last names setting among them counts (no presence in between)."""
        hidden = None
        for seq, text in events:
            self._write(text)
            self.last_sent = max(self.last_sent, seq)
            self._check_removed(text)
            setting = self._names_setting(text)
            hidden = hidden if setting is None else setting
        if hidden is not None:
            self._set_names_hidden(hidden)

    def _set_names_hidden(self, anonymous: bool) -> None:
        if anonymous == self.anonymous:
            return
        self.anonymous = anonymous
        if not self.actor.is_facilitator:
            self._write(encode({"type": "presence", "people": self._people()}))

    def _set_presence(self, editing, broadcast: bool) -> None:
        self.editing = editing
        try:
            self.presence.set(self.session_id, self.conn_id, self._presence_entry())
            if broadcast:
                self.presence_feed.changed(self.session_id, self.actor.kind, self.actor.id)
        except Exception:  # presence is a nicety: never drop a connection over it
            log.exception("presence update failed")

    def _leave_presence(self) -> None:
        try:
            self.presence.remove(self.session_id, self.conn_id)
            self.presence_feed.changed(self.session_id, self.actor.kind, self.actor.id)
        except Exception:
            log.exception("presence removal failed")

    # -- outbox -------------------------------------------------------------

    def _error(self, code: str, message: str, op_id: str | None = None, field: str | None = None) -> str:
        frame = {"type": "error", "code": code, "message": message, "op_id": op_id}
        if field:
            frame["field"] = field
        return encode(frame)

    def _hello(self, frame: dict) -> None:
        features = frame.get("features")
        if isinstance(features, list):
            self.features = frozenset(f for f in features if isinstance(f, str))
        self.put(("sync", frame.get("last_seq"), "hello"))

    def _queue(self, text: str) -> None:
        self.put(("send", None, text))

    def _queue_close(self, code: int, reason: str) -> None:
        self.put(("close", code, reason))

    def put(self, item) -> None:
        """Deliver one item (a hub ``Frame`` or a local tuple); never blocks. Any thread."""
        with self.lock:
            if not self.busy and not self.out:
                # The fan-out's case first (it runs for every connection of a session on every
                # change): the next plain event, written at once. Everything else: _write_now.
                if type(item) is Frame and item.plain and item.seq == self.last_sent + 1 and self._fast():
                    if self._send_fast(item.wire, item.seq):
                        return
                elif self._write_now(item):
                    return
            self._enqueue((item,))
        self.wake.set()

    def put_many(self, frames: list[Frame]) -> None:
        """Deliver several hub ``Frame``s in order (a group commit's events): as one write when the
        fast path takes them all, otherwise what it cannot take waits in the outbox, in order."""
        with self.lock:
            rest = self._write_now_many(frames) if not self.busy and not self.out else frames
            if not rest:
                return
            self._enqueue(rest)
        self.wake.set()

    def _enqueue(self, items) -> None:
        """Into the bounded outbox, in order (lock held); what does not fit marks it overflowed (4408)."""
        for item in items:
            if len(self.out) >= self.outbox_size:
                self.overflowed = True
                return
            self.out.append(item)

    def _fast(self) -> bool:
        return self.synced and not self.held and not self.held_acks and not self.closed.is_set() and self.shared_frames

    def _wire_now(self, frame: Frame, last_sent: int):
        """The bytes the fast path writes for ``frame`` after event ``last_sent``; ``_SENT`` if it was
        sent already; None if it must wait for the sender (which orders, fills gaps and redacts)."""
        seq = frame.seq
        if seq is None:
            if frame.text.startswith(PRESENCE_PREFIX) and (
                    self._hides_names() or (FEATURE_PRESENCE_DELTA not in self.features
                                            and frame.text.startswith(PRESENCE_DELTA_PREFIX))):
                return None  # the sender takes names out, or turns changes into the whole list
        elif seq != last_sent + 1:
            return _SENT if seq <= last_sent else None
        elif not frame.plain:
            return None  # may end this connection or switch names off: the sender decides
        return frame.wire

    def _write_now(self, item) -> bool:
        """The fast path (lock held, sender idle, outbox empty): True if ``item`` is dealt with."""
        if not self._fast():
            return False
        if type(item) is Frame:
            data = self._wire_now(item, self.last_sent)
            if data is None:
                return False
            if data is _SENT:
                return True
        elif item[0] == "send" or (item[0] == "ack" and item[1] <= self.last_sent):
            try:
                data = self._frame(item[2])
            except LocalProtocolError:
                return False  # the connection is closing: the sender finds out and ends it
        elif item[0] == "ping":
            data = PING_FRAME
        else:
            return False
        return self._send_fast(data, item.seq if type(item) is Frame else None)

    def _write_now_many(self, frames: list[Frame]) -> list[Frame]:
        """The fast path for several frames: writes the longest run it may in one system call and
        returns the frames from the first one it may not (lock held, sender idle, outbox empty)."""
        if not self._fast():
            return frames
        last = self.last_sent
        wires = []
        taken = 0
        for frame in frames:
            data = self._wire_now(frame, last)
            if data is None:
                break
            taken += 1
            if data is not _SENT:
                wires.append(data)
                if frame.seq is not None:
                    last = frame.seq
        if wires and not self._send_fast(wires[0] if len(wires) == 1 else b"".join(wires), last):
            return frames
        return frames[taken:]

    def _send_fast(self, data: bytes, seq: int | None) -> bool:
        """One non-blocking write; the rest of what the kernel did not take waits for the sender.
        ``seq``: the last event in ``data``, now sent."""
        try:
            n = send_nowait(self.ws.sock, data)
        except OSError:
            return False  # the sender finds the socket closed and ends the connection
        if seq is not None:
            self.last_sent = seq
        if n < len(data):  # the kernel's buffer is full: the rest waits, in order, for the sender
            self.out.append(("raw", None, data[n:]))
            self.wake.set()
        return True

    def _send_now(self, text: str) -> None:
        """Only before the sender starts (it is then the one writer)."""
        self._write(text)
        self._flush()

    def _close(self, code: int, reason: str) -> None:
        self.closed.set()
        try:
            self.ws.close(reason=code, message=reason)
        except (ConnectionClosed, OSError, LocalProtocolError):
            pass
        self.ws.event.set()  # wake the reader

    def _frame(self, text: str) -> bytes:
        """``text`` as one websocket frame: framed here (server frames are not masked), or by
        wsproto when an extension (permessage-deflate) changes the bytes per connection."""
        if not self.shared_frames:
            try:
                return self.ws.ws.send(TextMessage(data=text))
            except UnicodeEncodeError:  # a lone surrogate echoed from a client's frame: as websocket_text_frame does
                return self.ws.ws.send(TextMessage(data=text.encode("utf-8", "replace").decode("utf-8")))
        if self.ws.ws.state is not ConnectionState.OPEN:  # as wsproto refuses: nothing after a close frame
            raise LocalProtocolError(f"a text frame cannot be sent in state {self.ws.ws.state}")
        return websocket_text_frame(text)

    def _write(self, text: str) -> None:
        """Queue a text frame; ``_flush`` writes what is queued in one system call."""
        self.pending.append(self._frame(text))

    def _write_frame(self, frame: Frame) -> None:
        self.pending.append(frame.wire if self.shared_frames else self.ws.ws.send(TextMessage(data=frame.text)))

    def _flush(self) -> None:
        if not self.pending:
            return
        data = self.pending[0] if len(self.pending) == 1 else b"".join(self.pending)
        self.pending.clear()
        if not self.ws.connected:
            raise ConnectionClosed(self.ws.close_reason, self.ws.close_message)
        # sendall: simple-websocket's ws.send uses socket.send, which may write
        # only part of a large frame (a snapshot) to a slow client under gevent
        self.ws.sock.sendall(data)

    def _flush_and_close(self, code: int, reason: str) -> None:
        try:
            self._flush()
        finally:
            self._close(code, reason)


    # -- sender -------------------------------------------------------------

    def _sender(self) -> None:
        try:
            with self.app.app_context():
                self._send_loop()
        except (ConnectionClosed, OSError, LocalProtocolError, _Stop):
            pass
        except Exception:
            log.exception("websocket sender failed in session %s", self.session_id)
        finally:
            self.closed.set()
            with self.lock:
                self.busy = True  # the fast path keeps off the socket from now on
            if self.ws.connected:
                self._close(CLOSE_GOING_AWAY, "closing")

    # Items taken from the outbox before its frames are written in one system
    # call: under load several events wait, and one write for all of them saves
    # most of the per-frame cost.
    BATCH = 100

    def _send_loop(self) -> None:
        while not self.closed.is_set():
            timeout = None  # the pinger (pinger.py), not a timer here, handles idle connections
            if self.hold_until is not None:
                timeout = max(0.0, self.hold_until - time.monotonic())
            self.wake.wait(timeout)
            with self.lock:
                self.wake.clear()
                if self.overflowed:
                    self.busy = True
                    items = None
                else:
                    items = [self.out.popleft() for _ in range(min(len(self.out), self.BATCH))]
                    self.busy = True
            if items is None:
                # the rest of a frame the fast path began must go out before the close frame,
                # or the client would read the close as part of that frame
                self.pending.extend(it[2] for it in self.out if type(it) is tuple and it[0] == "raw")
                self.out.clear()
                try:
                    self._flush()
                finally:
                    self._close(CLOSE_TOO_SLOW, "too slow: reconnect and catch up")
                return
            try:
                for item in items:
                    if not self._handle(item):
                        return
                if self.hold_until is not None and time.monotonic() >= self.hold_until:
                    self._fill_gap()
                self._flush()
            finally:
                with self.lock:
                    self.busy = False
                    if self.out or self.overflowed:
                        self.wake.set()

    def _handle(self, item) -> bool:
        """Queue the frames for one outbox item; False when the connection is done."""
        if isinstance(item, Frame):
            self._send_event(item)
            return True
        kind, value, extra = item
        if kind == "send":
            self._write(extra)
        elif kind == "raw":  # the rest of a frame the fast path began
            self.pending.append(extra)
        elif kind == "ping":
            self.pending.append(PING_FRAME)
        elif kind == "ack":
            if value > self.last_sent:  # its event is held back or on its way
                self.held_acks.append((value, extra))
                self._start_holding()
            else:
                self._write(extra)
        elif kind == "sync":
            self._sync(value)
        elif kind == "close":
            self._flush_and_close(value, extra)
            return False
        elif kind == "stop":
            self._flush()
            return False
        return True

    def _send_presence(self, frame: Frame) -> None:
        """A presence frame as this connection may see it: whole lists for old clients, no names while hidden.

        Each form is built once per broadcast (on the shared Frame) by the first connection that needs it.
        """
        delta = frame.text.startswith(PRESENCE_DELTA_PREFIX)
        hidden = self._hides_names()
        if delta and FEATURE_PRESENCE_DELTA not in self.features:
            if not self.synced:
                return  # the synced frame carries the whole list
            if frame.legacy is None:
                frame.legacy = encode({"type": "presence", "people": self.presence.people(self.session_id)})
            if hidden and frame.legacy_nameless is None:
                frame.legacy_nameless = _without_names(frame.legacy, "people")
            self._write(frame.legacy_nameless if hidden else frame.legacy)
            return
        if not hidden:
            self._write_frame(frame)
            return
        if frame.nameless is None:
            frame.nameless = _without_names(frame.text, "changes" if delta else "people")
        self._write(frame.nameless)

    def _send_event(self, frame: Frame) -> None:
        seq = frame.seq
        if seq is None:  # presence and other unordered frames
            if frame.text.startswith(PRESENCE_PREFIX):
                self._send_presence(frame)
                return
            self._write_frame(frame)
            return
        if not self.synced or seq <= self.last_sent:
            return  # already sent (our own copy, or filled from the log)
        if seq > self.last_sent + 1:
            self.held[seq] = frame  # an earlier event is still on its way
            self._start_holding()
            return
        self._emit(frame)
        if self.held or self.held_acks:
            self._release()

    def _emit(self, frame: Frame) -> None:
        self._write_frame(frame)
        self.last_sent = frame.seq
        self._check_removed(frame.text)
        self._follow_names(frame.text)

    def _start_holding(self) -> None:
        if self.hold_until is None:
            self.hold_until = time.monotonic() + self.reorder_wait

    def _release(self) -> None:
        """Send the held events that are next in order, and the acks they complete."""
        while self.held:
            frame = self.held.pop(self.last_sent + 1, None)
            if frame is None:
                break
            self._emit(frame)
        for seq in [s for s in self.held if s <= self.last_sent]:
            del self.held[seq]
        if self.held_acks:
            ready = [a for a in self.held_acks if a[0] <= self.last_sent]
            self.held_acks = [a for a in self.held_acks if a[0] > self.last_sent]
            for _seq, text in ready:
                self._write(text)
        if not self.held and not self.held_acks:
            self.hold_until = None

    def _fill_gap(self) -> None:
        """Waited long enough: read what is still missing from the event log."""
        self.hold_until = None
        target = max(list(self.held) + [seq for seq, _text in self.held_acks], default=0)
        if target > self.last_sent:
            self._fill(target)
        self._release()

    def _check_removed(self, text: str) -> None:
        """A participant removed by the facilitator is cut off at once, on every open connection."""
        if self.actor.kind != "participant" or '"participant.remove"' not in text:
            return
        message = json.loads(text)
        if message.get("event") == "participant.remove" and (message.get("data") or {}).get("id") == self.actor.id:
            self._write(self._error("removed", self.removed_message))
            self._flush_and_close(CLOSE_NOT_ALLOWED, "removed")
            raise _Stop

    def _fill(self, upto: int) -> None:
        """Send the events between the last one sent and ``upto`` from the log."""
        if upto - self.last_sent > self.catchup_max:
            self._send_snapshot()
            return
        self._replay(self._read(catchup.events_between, self.session_id, self.last_sent, upto, self.actor))

    def _read(self, fn, *args):
        """Run a read in its own short transaction, ended before any socket write.

        Never write to the socket inside a transaction: under gevent a write may
        yield, and on SQLite (BEGIN IMMEDIATE) the next writer would then wait
        in SQLite's C busy handler, which blocks the whole worker.
        """
        session = db.session
        try:
            with read_transaction(session):  # on SQLite: no write lock for a read
                return fn(session, *args)
        finally:
            session.remove()


    def _sync(self, last_seq) -> None:
        """Answer hello/sync: the events after ``last_seq``, or a snapshot; then ``synced``."""
        valid = isinstance(last_seq, int) and not isinstance(last_seq, bool) and last_seq >= 0
        current = self._read(catchup.current_seq, self.session_id) if valid else None  # none: a snapshot
        if valid and current is None:
            self._flush_and_close(CLOSE_NOT_ALLOWED, "session deleted")
            raise _Stop
        if not valid or last_seq > current or current - last_seq > self.catchup_max:
            self._send_snapshot()
        else:
            self._replay(self._read(catchup.events_between, self.session_id, last_seq, current, self.actor))
            self.last_sent = max(self.last_sent, current)
        if self.held or self.held_acks:
            self._release()
        self.synced = True
        self._write(encode({"type": "synced", "seq": self.last_sent,
                            "presence": self._people()}))

    def _send_snapshot(self) -> None:
        def read(session, session_id, build):
            if session.get_bind().dialect.name == "postgresql":
                # one consistent view: the snapshot's seq matches its cards exactly
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            return build(session, session_id, self.actor)

        if FEATURE_COMPACT_SNAPSHOT in self.features:
            engine = db.engine
            with autocommit_reads(engine) as conn:  # most joins: all of it cached
                frame = catchup.cached_snapshot_frame(engine, conn, self.session_id, self.actor)
            if frame is None:
                frame = self._read(read, self.session_id, catchup.compact_snapshot_frame)
        else:
            message = self._read(read, self.session_id, catchup.snapshot_message)
            frame = None if message is None else (
                message["seq"], bool(message["snapshot"]["session"]["settings"]["anonymous"]), encode(message))
        if frame is None:
            self._flush_and_close(CLOSE_NOT_ALLOWED, "session deleted")
            raise _Stop
        seq, anonymous, text = frame
        self._write(text)
        self.last_sent = seq
        self._set_names_hidden(anonymous)

    def idle_tick(self) -> None:
        """Every ping interval, from the pinger (pinger.py): ping, refresh presence, re-check the right to stay.

        A connection that did not answer the previous ping is closed (4409). What
        is written goes through ``put``: the fast path, or the sender.
        """
        if not self.synced:
            return
        if self.awaiting_pong and not self.ws.pong_received:
            self._queue_close(CLOSE_PING_TIMEOUT, "ping timeout")
            return
        self.ws.pong_received = False
        self.awaiting_pong = True
        self.put(PING)
        self._set_presence(self.editing, broadcast=False)
        if self.login_version is not None and not self._still_logged_in():
            self._queue(self._error("logged_out", self.logged_out_message))
            self._queue_close(CLOSE_NOT_ALLOWED, "logged out")
        elif self.actor.kind == "participant" and not self._still_member():
            self._queue(self._error("removed", self.removed_message))
            self._queue_close(CLOSE_NOT_ALLOWED, "removed")
