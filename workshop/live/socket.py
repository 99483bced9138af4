"""The websocket endpoint (flask-sock)."""
from __future__ import annotations

from flask_sock import Sock

sock = Sock()


def init_app(app) -> None:
    sock.init_app(app)
