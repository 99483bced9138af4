"""Every request body is read completely, within a deadline, before the app sees the request.

A view that opens a database transaction and then reads the body would hold
the transaction (on SQLite the write lock, on PostgreSQL a pooled connection)
for as long as a slow or malicious client takes to send it. This WSGI
middleware makes that impossible by construction: it reads the body (at most
``MAX_CONTENT_LENGTH`` bytes, within ``REQUEST_BODY_TIMEOUT`` seconds in total)
into memory first and only then calls the Flask app, which reads it from
memory. A client that is too slow gets 408 and its connection is closed; one
that announces too much is passed on unread, and the app answers 413 (Werkzeug
checks ``MAX_CONTENT_LENGTH`` against Content-Length before reading).

The refusal is a small fixed answer written by the middleware itself (JSON
``{"error": {"code", "message"}}`` under ``/api/``, plain text elsewhere), in
the app's language for that request (``?lang=``, the ``lang`` cookie, else the
default: the same rule as the app, ``i18n.choose_language``) from the app's
catalogue: the app, and so the database, never sees the request.
"""
from __future__ import annotations

import io
import json
import socket
from urllib.parse import parse_qs

from werkzeug.http import HTTP_STATUS_CODES, parse_cookie

from ..board.errors import N_
from ..export.labels import labels
from ..i18n import choose_language

CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    pass


def _gevent_active() -> bool:
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover
        return False
    return monkey.is_module_patched("socket")


def read_body(stream, length: int | None, limit: int) -> bytes:
    """``length`` bytes (or, for a chunked body, everything up to ``limit``)."""
    parts, total = [], 0
    want = length if length is not None else limit + 1
    while total < want:
        chunk = stream.read(min(CHUNK, want - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    if total > limit:
        raise BodyTooLarge
    return b"".join(parts)


class RequestBodyReader:
    def __init__(self, wsgi_app, limit: int, timeout: float, languages=("nl", "en"), default_language: str = "nl"):
        self.wsgi_app = wsgi_app
        self.limit = int(limit)
        self.timeout = float(timeout)
        self.languages = tuple(languages)
        self.default_language = default_language

    def __call__(self, environ, start_response):
        raw_length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and raw_length in ("", "0"):
            return self.wsgi_app(environ, start_response)
        try:
            length = None if chunked else int(raw_length)
            if length is not None and length < 0:
                raise ValueError
        except ValueError:
            return self._refuse(environ, start_response, 400)
        if length is not None and length > self.limit:
            # announced too large: nothing is read; the app refuses it on first access to the
            # body (Werkzeug checks MAX_CONTENT_LENGTH against Content-Length), with its own page
            return self.wsgi_app(environ, start_response)
        try:
            body = self._read(environ, length)
        except BodyTooLarge:
            return self._refuse(environ, start_response, 413)
        except (TimeoutError, socket.timeout, OSError):
            return self._refuse(environ, start_response, 408)
        if length is not None and len(body) < length:  # the client hung up halfway
            return self._refuse(environ, start_response, 400)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = True
        return self.wsgi_app(environ, start_response)

    def _read(self, environ, length: int | None) -> bytes:
        stream = environ["wsgi.input"]
        if _gevent_active():
            import gevent

            # one deadline for the whole body: a client dripping a byte a second stays within
            # any per-read timeout, not within this one
            with gevent.Timeout(self.timeout, TimeoutError):
                return read_body(stream, length, self.limit)
        # threaded servers (the development server): a per-read timeout on the socket
        sock = environ.get("werkzeug.socket")
        previous = sock.gettimeout() if sock is not None else None
        if sock is not None:
            sock.settimeout(self.timeout)
        try:
            return read_body(stream, length, self.limit)
        finally:
            if sock is not None:
                sock.settimeout(previous)

    def _refuse(self, environ, start_response, status: int):
        """A small fixed answer, written here: no app, no template, no database.

        Slow-body attackers time out together; an error page rendered by the
        app for each of them at that instant would hold the worker up.
        """
        code, msgid = REFUSALS[status]
        message = labels(self._language(environ))(msgid)  # the catalogue is loaded once per language
        if environ.get("PATH_INFO", "").startswith("/api/"):
            body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
            content_type = "application/json"
        else:
            body = message.encode()
            content_type = "text/plain; charset=utf-8"
        # the rest of the body may still be on its way: do not read it, end the connection
        start_response(f"{status} {HTTP_STATUS_CODES[status]}", [
            ("Content-Type", content_type), ("Content-Length", str(len(body))), ("Connection", "close")])
        return [body]


    def _language(self, environ) -> str:
        query = parse_qs(environ.get("QUERY_STRING", "")).get("lang", [None])[0]
        return choose_language(query, parse_cookie(environ).get("lang"), self.languages, self.default_language)


# status -> (error code, message msgid: translated in workshop/translations)
REFUSALS = {
    400: ("malformed", N_("The request is incomplete or unreadable.")),
    408: ("timeout", N_("The request arrived too slowly; please try again.")),
    413: ("too_large", N_("The request is too large.")),
}


def init_app(app) -> None:
    app.wsgi_app = RequestBodyReader(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"],
                                     app.config["REQUEST_BODY_TIMEOUT"], app.config["LANGUAGES"],
                                     app.config["BABEL_DEFAULT_LOCALE"])
