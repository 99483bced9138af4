"""Who is looking at a session: its facilitator, one of its participants, or nobody.

Participants carry a secret token per session in the signed Flask session
cookie; only its hash is stored. The same lookup serves HTTP and websockets.
"""
from __future__ import annotations

from flask import abort, session
from flask_login import current_user
from sqlalchemy import and_, bindparam, literal, select

from .board import Actor
from .board.prepared import Prepared
from .db import autocommit_reads, db
from .models import Participant, WorkshopSession
from .sessions import hash_token, participant_for_token

COOKIE_KEY = "participants"


def remember_participant(session_id: int, token: str) -> None:
    tokens = dict(session.get(COOKIE_KEY) or {})
    tokens[str(session_id)] = token
    session[COOKIE_KEY] = tokens
    session.permanent = True


def participant_token(session_id: int) -> str | None:
    return (session.get(COOKIE_KEY) or {}).get(str(session_id))


def _logged_in_id() -> int | None:
    """The logged-in facilitator's account id, or None. The first ask in a request loads the login
    (a database read), so callers ask before they know whether a session exists: the same work either way."""
    return current_user.id if current_user.is_authenticated else None


def _actor(session_id: int, facilitator_id: int | None, user_id: int | None) -> Actor | None:
    if facilitator_id is not None and user_id == facilitator_id:
        return Actor("facilitator", current_user.id, current_user.display_name)
    p = participant_for_token(db.session, session_id, participant_token(session_id))
    if p is None:
        return None
    return Actor("participant", p.id, p.display_name)


def deny_access():
    """What anyone without access to a session gets, on every page of it: the answer a missing session gets."""
    abort(404)


def actor_for(ws: WorkshopSession) -> Actor | None:
    return _actor(ws.id, ws.facilitator_id, _logged_in_id())


_OWNER = select(WorkshopSession.facilitator_id).where(WorkshopSession.id == bindparam("sid"))


def require_session(session_id: int) -> tuple[WorkshopSession, Actor]:
    """The session and who is looking at it; 404 for everyone else.

    A visitor who is not its facilitator nor one of its participants gets the
    same answer, after the same work (one small lookup, then the member
    check), whether the session exists or not: session ids cannot be probed,
    by status, body or timing, on pages, the API and the websocket upgrade.
    The whole session row is loaded only for a member.
    """
    user_id = _logged_in_id()  # before the lookup: a login is loaded whether the session exists or not
    owner = db.session.execute(_OWNER, {"sid": session_id}).first()
    actor = _actor(session_id, owner.facilitator_id if owner is not None else None, user_id)
    if owner is None or actor is None:
        deny_access()
    return db.session.get(WorkshopSession, session_id), actor


_ONE = select(literal(1).label("one")).subquery()
_WS, _P = WorkshopSession.__table__, Participant.__table__
# The facilitator of session :sid and its participant with token hash :h, in one query that
# looks up both whether or not the session exists (see require_session).
_MEMBER = Prepared(select(_WS.c.facilitator_id, _WS.c.anonymous, _P.c.id, _P.c.display_name)
                   .select_from(_ONE.outerjoin(_WS, _WS.c.id == bindparam("sid"))
                                .outerjoin(_P, and_(_P.c.token_hash == bindparam("h"),
                                                    _P.c.session_id == bindparam("sid"), _P.c.removed_at.is_(None)))))


def require_member(session_id: int) -> tuple[Actor, bool]:
    """Who is looking at a session and whether it hides names; 404 for everyone else.

    ``require_session`` for the websocket upgrade, which needs no session row: the same
    rule and the same answer, in one statement instead of three, with no transaction around it.
    """
    user_id = _logged_in_id()
    if db.session.registry.has():  # loading the login began a transaction: end it, not hold two connections
        db.session.commit()  # (what was loaded stays usable: sessions never expire on commit)
    token = participant_token(session_id)
    valid = isinstance(token, str) and 0 < len(token) <= 100  # as participant_for_token
    with autocommit_reads(db.engine) as conn:
        row = _MEMBER.first(conn, {"sid": session_id, "h": hash_token(token) if valid else ""})
    if row.facilitator_id is not None and user_id == row.facilitator_id:
        return Actor("facilitator", current_user.id, current_user.display_name), bool(row.anonymous)
    if row.id is None or row.facilitator_id is None:
        deny_access()
    return Actor("participant", row.id, row.display_name), bool(row.anonymous)


def require_facilitation(session_id: int) -> tuple[WorkshopSession, Actor]:
    """A page only the session's facilitator may see: the exports, the projector view, the join QR code.

    One rule for all of them: a non-member gets 404, exactly what a missing session
    gives (``require_session``: no existence oracle); a participant of the session,
    who knows it exists, gets 403.
    """
    ws, actor = require_session(session_id)
    if not actor.is_facilitator:
        abort(403)
    return ws, actor


def require_own_session(session_id: int) -> WorkshopSession:
    """A session of the logged-in facilitator; 404 for anyone else's (its existence is not leaked)."""
    user_id = _logged_in_id()  # first, as in require_session: the same work whether the session exists
    ws = db.session.get(WorkshopSession, session_id)
    if ws is None or user_id is None or ws.facilitator_id != user_id:
        abort(404)
    return ws
