"""Session lifecycle and participants: create, join, open/close, delete.

Like board operations these functions flush and never commit.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import cloning
from .board import validate as v
from .board.errors import N_, Forbidden, NotFound, ValidationError
from .db import utcnow
from .models import (BoardEvent, Card, Formula, Participant, SessionStatus, Template, WorkshopSession)

# No look-alikes: without 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B, U/V.
JOIN_ALPHABET = "ACDEFHJKMNPQRTWXY34679"
JOIN_CODE_LENGTH = 6


def new_join_code(db: Session) -> str:
    while True:
        code = "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if db.scalar(select(WorkshopSession.id).where(WorkshopSession.join_code == code)) is None:
            return code


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    """Shown as ``ABC-123`` so it is easy to read aloud and type."""
    return f"{code[:3]}-{code[3:]}" if len(code) == 6 else code


def find_by_code(db: Session, raw: str) -> WorkshopSession | None:
    code = normalise_code(raw)
    if len(code) != JOIN_CODE_LENGTH:
        return None
    return db.scalars(select(WorkshopSession).where(WorkshopSession.join_code == code)).one_or_none()


def find_formula(db: Session, name: str) -> Formula | None:
    """A formula by slug, name or alias (Flits, Wegwijs, Co-creatie, Handhaaf …), case-insensitive."""
    wanted = (name or "").strip().casefold()
    if not wanted:
        return None
    for formula in db.scalars(select(Formula)):
        names = [formula.slug, formula.name, *(formula.aliases or [])]
        if wanted in {n.casefold() for n in names}:
            return formula
    return None


def create_session(db: Session, facilitator_id: int, *, title: str, municipality: str = "",
                   product: str = "", formula: Formula | None = None, with_cards: bool = False,
                   template: Template | None = None, source: WorkshopSession | None = None,
                   session_date: date | None = None) -> WorkshopSession:
    """A new session: blank, from a formula, from a template or as a copy of a past session."""
    title = v.text({"title": title}, "title", v.LIMITS["title"], required=True)
    municipality = v.text({"municipality": municipality}, "municipality", 120, default="") or ""
    product = v.text({"product": product}, "product", 200, default="") or ""
    if source is not None:
        doc = cloning.session_document(db, source, with_cards=with_cards)
    elif template is not None:
        doc = template.document
        with_cards = with_cards or template.with_cards
    elif formula is not None:
        doc = cloning.formula_document(db, formula, with_cards=with_cards)
    else:
        doc = cloning.empty_document(title)
    overrides = {"title": title, "municipality": municipality or None, "product": product or None,
                 "session_date": session_date.isoformat() if session_date else None}
    if formula is not None:
        overrides["formula"] = formula.slug
    ws = cloning.create_session_from_document(db, doc, facilitator_id=facilitator_id,
                                              join_code=new_join_code(db), overrides=overrides,
                                              with_cards=with_cards)
    return ws


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join_session(db: Session, ws: WorkshopSession, display_name) -> tuple[Participant, str]:
    """Add a participant; returns it and the secret token for its cookie."""
    if ws.status == SessionStatus.closed.value:
        raise Forbidden(N_("This session has been closed."), code="closed")
    name = v.text({"display_name": display_name}, "display_name", v.LIMITS["display_name"], required=True)
    token = secrets.token_urlsafe(32)
    participant = Participant(session_id=ws.id, display_name=name, token_hash=hash_token(token),
                              last_seen_at=utcnow())
    db.add(participant)
    db.flush()
    return participant, token


def participant_for_token(db: Session, session_id: int, token: str | None) -> Participant | None:
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    p = db.scalars(select(Participant).where(Participant.token_hash == hash_token(token))).one_or_none()
    if p is None or p.session_id != session_id or p.removed_at is not None:
        return None
    return p


def set_status(db: Session, ws: WorkshopSession, status: str) -> None:
    if status not in {s.value for s in SessionStatus}:
        raise ValidationError(N_("Unknown status."), code="wrong_type")
    ws.status = status
    if status == SessionStatus.open.value and ws.opened_at is None:
        ws.opened_at = utcnow()
    if status == SessionStatus.closed.value:
        ws.closed_at = utcnow()
    db.flush()


def update_details(db: Session, ws: WorkshopSession, data: dict) -> None:
    ws.title = v.text(data, "title", v.LIMITS["title"], required=True)
    ws.municipality = v.text(data, "municipality", 120, default="") or ""
    ws.product = v.text(data, "product", 200, default="") or ""
    db.flush()


def delete_session(db: Session, ws: WorkshopSession) -> None:
    """Delete a session with everything in it: cards, names, votes, event log (AVG)."""
    db.execute(delete(BoardEvent).where(BoardEvent.session_id == ws.id))
    db.execute(delete(Card).where(Card.session_id == ws.id))
    db.delete(ws)
    db.flush()


def get_owned_session(db: Session, session_id: int, facilitator_id: int) -> WorkshopSession:
    ws = db.get(WorkshopSession, session_id)
    if ws is None or ws.facilitator_id != facilitator_id:
        raise NotFound(N_("This session does not exist."))
    return ws
