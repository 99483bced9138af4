"""Who is looking at a session: its facilitator, one of its participants, or nobody.

Participants carry a secret token per session in the signed Flask session
cookie; only its hash is stored. The same lookup serves HTTP and websockets.
"""
from __future__ import annotations

from flask import abort, session
from flask_login import current_user

from .board import Actor
from .db import db
from .models import WorkshopSession
from .sessions import participant_for_token

COOKIE_KEY = "participants"


def remember_participant(session_id: int, token: str) -> None:
    tokens = dict(session.get(COOKIE_KEY) or {})
    tokens[str(session_id)] = token
    session[COOKIE_KEY] = tokens
    session.permanent = True


def participant_token(session_id: int) -> str | None:
    return (session.get(COOKIE_KEY) or {}).get(str(session_id))


def actor_for(ws: WorkshopSession) -> Actor | None:
    if current_user.is_authenticated and current_user.id == ws.facilitator_id:
        return Actor("facilitator", current_user.id, current_user.display_name)
    p = participant_for_token(db.session, ws.id, participant_token(ws.id))
    if p is None:
        return None
    return Actor("participant", p.id, p.display_name)


def deny_access():
    """What anyone without access to a session gets, on every page of it."""
    abort(403)


def require_session(session_id: int) -> tuple[WorkshopSession, Actor]:
    ws = db.session.get(WorkshopSession, session_id)
    if ws is None:
        abort(404)
    actor = actor_for(ws)
    if actor is None:
        deny_access()
    return ws, actor


def require_facilitation(session_id: int) -> tuple[WorkshopSession, Actor]:
    """A page only the session's facilitator may see (the projector view, the join QR code).
    Anyone else, its participants included, gets exactly what a foreign session gives them."""
    ws, actor = require_session(session_id)
    if not actor.is_facilitator:
        deny_access()
    return ws, actor


def require_own_session(session_id: int) -> WorkshopSession:
    """A session of the logged-in facilitator; 404 for anyone else's (its existence is not leaked)."""
    ws = db.session.get(WorkshopSession, session_id)
    if ws is None or not current_user.is_authenticated or ws.facilitator_id != current_user.id:
        abort(404)
    return ws
