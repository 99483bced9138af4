"""The whole board of a session as one dict: what a client needs to draw it."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import Card, Lane, Participant, Phase, PlateItem, WorkshopSession
from .actor import Actor
from .prepared import Prepared
from .facilitation import agenda_rounds, latest_vote, round_dict, settings_dict, timer_dict, vote_dict
from .serialize import iso, card_dict, lane_dict, phase_dict, plate_item_dict


def session_meta(ws: WorkshopSession, viewer: Actor | None = None) -> dict:
    formula = ws.formula
    meta = {
        "id": ws.id,
        "title": ws.title,
        "municipality": ws.municipality,
        "product": ws.product,
        "status": ws.status,
        "session_date": ws.session_date.isoformat() if ws.session_date else None,
        "formula": None if formula is None else {
            "slug": formula.slug, "name": formula.name, "core_values": list(formula.core_values or []),
            "customer_role": formula.customer_role,
        },
        "settings": settings_dict(ws),
        "tagline": ws.tagline or "",
        "personas": list(ws.personas or []),
        "created_at": iso(ws.created_at),
    }
    if viewer is not None and viewer.is_facilitator:
        meta["join_code"] = ws.join_code
    return meta


def _card_for(card: Card, show_names: bool, viewer: Actor | None) -> dict:
    """A card as ``viewer`` may see it: with names hidden, no author, except that a
    participant's own cards keep their id (so "edit own cards only" still works)."""
    out = card_dict(card, anonymous=not show_names)
    if (not show_names and viewer is not None and viewer.kind == "participant"
            and card.author_participant_id == viewer.id):
        out["author_participant_id"] = viewer.id
    return out


_CARDS_IN_ORDER = Prepared(select(Card.__table__).where(Card.session_id == bindparam("sid"))
                           .order_by(Card.position, Card.id))


def snapshot_cards(db: Session, ws: WorkshopSession, viewer: Actor | None = None) -> list[dict]:
    """The board's cards in order, as ``viewer`` may see them.

    Read as plain rows, not ORM objects: a 500-card board's ORM instances were thousands of
    objects in reference cycles, freed only by the collector (a 23 ms young collection when a
    room reconnected at once)."""
    show_names = not ws.anonymous or (viewer is not None and viewer.is_facilitator)
    db.flush()  # what an ORM query would have flushed first
    rows = _CARDS_IN_ORDER.rows(db.connection(), {"sid": ws.id})
    return [_card_for(c, show_names, viewer) for c in rows]


def board_parts(db: Session, session_id: int) -> dict:
    """The parts of a board that change only through operations (so only with ``seq``), the
    same for every viewer: phases, lanes and plate as dicts, the agenda's rounds as rows."""
    phases = db.scalars(select(Phase).where(Phase.session_id == session_id).order_by(Phase.position, Phase.id))
    lanes = db.scalars(select(Lane).where(Lane.session_id == session_id).order_by(Lane.position, Lane.id))
    plate = db.scalars(select(PlateItem).where(PlateItem.session_id == session_id)
                       .order_by(PlateItem.position, PlateItem.id))
    return {"phases": [phase_dict(p) for p in phases], "lanes": [lane_dict(lane) for lane in lanes],
            "plate": [plate_item_dict(i) for i in plate], "rounds": agenda_rounds(db, session_id)}


_PARTICIPANTS = (select(Participant.id, Participant.display_name)
                 .where(Participant.session_id == bindparam("sid"), Participant.removed_at.is_(None))
                 .order_by(Participant.id))


def snapshot_head(db: Session, ws: WorkshopSession, viewer: Actor | None, parts: dict) -> dict:
    """The parts of a snapshot that are the same for every facilitator, or for every participant,
    until an operation, a participant joining or an edit of the session row: all but the cards,
    the timer (it holds the time) and the vote (a participant sees their own votes)."""
    participants = db.execute(_PARTICIPANTS, {"sid": ws.id}).all()
    show_names = not ws.anonymous or (viewer is not None and viewer.is_facilitator)
    return {
        "seq": ws.seq,
        "session": session_meta(ws, viewer),
        "phases": parts["phases"],
        "lanes": parts["lanes"],
        "plate": parts["plate"],
        "participants": [{"id": pid, "name": name if show_names else None} for pid, name in participants],
        "agenda": [round_dict(r) for r in parts["rounds"]],
    }


def board_snapshot(db: Session, ws: WorkshopSession, viewer: Actor | None = None,
                   cards: list[dict] | None = None, parts: dict | None = None) -> dict:
    """``cards`` (this viewer's card dicts) and ``parts`` (``board_parts``) at exactly ``ws.seq``,
    when the caller already has them: cards change only through operations, and every
    operation moves ``seq``. Participants (they join without an operation), the timer and
    the vote are read each time."""
    parts = parts if parts is not None else board_parts(db, ws.id)
    return {
        **snapshot_head(db, ws, viewer, parts),
        "cards": cards if cards is not None else snapshot_cards(db, ws, viewer),
        "timer": timer_dict(parts["rounds"], utcnow()),
        "vote": vote_dict(db, latest_vote(db, ws.id), viewer),
    }
