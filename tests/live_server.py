"""A real HTTP + websocket server for tests, and a small websocket client.

``LiveServer(app)`` serves a test app with Werkzeug's threaded server on a
free port in a background thread (a real socket, real upgrades). Other test
modules import it::

    from tests.live_server import LiveServer, WsClient, session_cookie
"""
from __future__ import annotations

import json
import threading
import time
import uuid

from werkzeug.serving import make_server


class LiveServer:
    def __init__(self, app, host: str = "127.0.0.1"):
        self.app = app
        self.server = make_server(host, 0, app, threaded=True)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="live-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def ws_url(self, session_id: int) -> str:
        return f"ws://{self.host}:{self.port}/ws/sessions/{session_id}"

    def start(self) -> "LiveServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# Flask-Login's "strong" session protection ties a login to the client's
# address and User-Agent, so test clients and websocket clients share one.
USER_AGENT = "workshop-live-tests"


def http_client(app):
    """A Flask test client that looks like the websocket clients below."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    return client


def session_cookie(client) -> str:
    """The signed Flask session cookie of a test client (after login or join)."""
    cookie = client.get_cookie("session")
    assert cookie is not None, "log in or join first"
    return f"session={cookie.value}"


class WsClient:
    """A synchronous websocket client that speaks the board protocol (docs/protocol.md)."""

    def __init__(self, url: str, cookie: str | None = None, origin: str | None = None, last_seq=0,
                 hello: bool = True, timeout: float = 10, features: list[str] | None = None,
                 receive_buffer: int | None = None):
        from websockets.sync.client import connect

        headers = {"Cookie": cookie} if cookie else {}
        kwargs = {"additional_headers": headers, "open_timeout": timeout, "max_size": 2 ** 24,
                  "user_agent_header": USER_AGENT}
        if origin:
            kwargs["origin"] = origin
        if receive_buffer:  # a laptop that reads slowly: the kernel holds little for it
            import socket
            from urllib.parse import urlsplit

            parts = urlsplit(url)
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            sock.connect((parts.hostname, parts.port))
            kwargs["sock"] = sock
        self.ws = connect(url, **kwargs).__enter__()  # websockets 17 warns unless entered
        self.timeout = timeout
        self.frames: list[dict] = []  # everything received, in order
        self.seq = None
        if hello:
            self.send({"type": "hello", "last_seq": last_seq, **({"features": features} if features else {})})
            self.synced = self.wait_for(lambda f: f["type"] == "synced")
            self.seq = self.synced["seq"]

    # sending

    def send(self, frame) -> None:
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def op(self, type_: str, op_id: str | None = None, **fields) -> str:
        op_id = op_id or uuid.uuid4().hex
        self.send({"type": "op", "op": {"type": type_, "op_id": op_id, **fields}})
        return op_id

    # receiving

    def recv(self, timeout: float | None = None) -> dict:
        frame = json.loads(self.ws.recv(timeout=timeout if timeout is not None else self.timeout))
        self.frames.append(frame)
        if frame.get("type") == "event":
            self.seq = frame["seq"]
        elif frame.get("type") == "snapshot":
            self.seq = frame["seq"]
        return frame

    def wait_for(self, pred, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching frame; got {self.frames[-5:]}")
            frame = self.recv(timeout=left)
            if pred(frame):
                return frame

    def reply_to(self, op_id: str) -> dict:
        """The ack or error frame for one operation."""
        return self.wait_for(lambda f: f["type"] in ("ack", "error") and f.get("op_id") == op_id)

    def apply(self, type_: str, **fields) -> dict:
        """Send an operation and wait for its ack; fail on an error frame."""
        op_id = self.op(type_, **fields)
        reply = self.reply_to(op_id)
        assert reply["type"] == "ack", reply
        return reply

    def wait_seq(self, seq: int, timeout: float | None = None) -> None:
        if self.seq is not None and self.seq >= seq:
            return
        self.wait_for(lambda f: f.get("type") in ("event", "snapshot") and f["seq"] >= seq, timeout)

    def events(self) -> list[dict]:
        return [f for f in self.frames if f.get("type") == "event"]

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - already closed by the server
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class GunicornServer:
    """The app served the production way: gunicorn, gevent worker, ``gunicorn.conf.py``, in a subprocess."""

    def __init__(self, env: dict, workers: int = 1):
        import os
        import socket
        import sys
        from pathlib import Path

        self.root = Path(__file__).resolve().parent.parent
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.env = dict(os.environ, **env)
        self.cmd = [str(Path(sys.executable).parent / "gunicorn"), "-c", str(self.root / "gunicorn.conf.py"),
                    "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--no-control-socket",
                    "--log-level", "warning", "wsgi:app"]
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, session_id: int) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/sessions/{session_id}"

    def start(self, timeout: float = 30) -> "GunicornServer":
        import socket
        import subprocess

        self.proc = subprocess.Popen(self.cmd, cwd=self.root, env=self.env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        import os
        import signal

        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except Exception:  # noqa: BLE001 - it did not stop in time
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def participant_cookie(app, session_id: int, token: str) -> str:
    """The cookie a browser holds after joining: the participant token in the signed Flask session."""
    serializer = app.session_interface.get_signing_serializer(app)
    return "session=" + serializer.dumps({"participants": {str(session_id): token}, "_permanent": True})


def people_on_board(app, code: str, names=("Piet", "Anna")):
    """A logged-in facilitator and participants joined by ``code``: HTTP clients whose cookies
    open websockets."""
    from conftest import join, login

    fac = http_client(app)
    login(fac)
    people = []
    for name in names:
        c = http_client(app)
        join(c, code, name)
        people.append(c)
    return fac, people
