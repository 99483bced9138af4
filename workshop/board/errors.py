"""Errors that map to an HTTP status or a websocket error frame.

Messages are English msgids; the web and live faces translate them with
Flask-Babel (``err.translated(gettext)``), so this package needs no request.
"""
from __future__ import annotations


def N_(s: str) -> str:  # marks a msgid for extraction without translating it here
    return s


class BoardError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, code: str | None = None, field: str | None = None, **params):
        super().__init__(message % params if params else message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.params = params

    def translated(self, gettext) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text

    def as_dict(self, gettext=lambda s: s) -> dict:
        d = {"code": self.code, "message": self.translated(gettext)}
        if self.field:
            d["field"] = self.field
        return d


class ValidationError(BoardError):
    status = 400
    code = "invalid"


class NotFound(BoardError):
    status = 404
    code = "not_found"


class Forbidden(BoardError):
    status = 403
    code = "forbidden"


class Conflict(BoardError):
    status = 409
    code = "conflict"
