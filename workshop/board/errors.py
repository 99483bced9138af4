"""Errors that map to an HTTP status or a websocket error frame.

Messages are English msgids; the web and live faces translate them with
Flask-Babel (``err.translated(gettext)``), so this package needs no request.
"""
from __future__ import annotations


def N_(s: str) -> str:  # marks a msgid for extraction without translating it here
    return s


# What a message calls a payload field: people read "titel", not the JSON key "title".
FIELD_LABELS = {
    "anonymous": N_("anonymous"), "author": N_("author"), "card": N_("card"), "card_id": N_("card"),
    "card_op": N_("card"), "channels": N_("channels"), "count": N_("number"), "participant": N_("participant"),
    "round": N_("round"), "status": N_("status"),
    "current_name": N_("current name"), "desired_name": N_("desired name"), "duration_seconds": N_("duration"),
    "edit_policy": N_("editing rights"), "focus_lane_kind": N_("focus lane"), "heading": N_("heading"),
    "id": N_("id"), "index": N_("position"), "instructions": N_("instructions"), "key": N_("key"),
    "kind": N_("kind"), "lane": N_("lane"), "lane_id": N_("lane"), "library_entry": N_("library entry"),
    "library_entry_id": N_("library entry"), "locked": N_("locked"), "max_per_card": N_("votes per card"),
    "municipality": N_("municipality"), "name": N_("name"), "op_id": N_("operation id"), "phase": N_("phase"),
    "phase_id": N_("phase"), "product": N_("product"), "seconds": N_("seconds"), "section": N_("section"),
    "statement": N_("statement"), "statements": N_("statements"), "tagline": N_("tagline"), "text": N_("text"),
    "title": N_("title"), "type": N_("type"), "votes": N_("votes"),
    "votes_per_participant": N_("votes per participant"),
}


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
        if not self.params:
            return text
        params = dict(self.params)
        if self.field and params.get("name") == self.field and self.field in FIELD_LABELS:
            params["name"] = gettext(FIELD_LABELS[self.field])  # the message names its own field
        return text % params

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
