"""The whole board of a session as one dict: what a client needs to draw it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Card, Lane, Participant, Phase, PlateItem, WorkshopSession
from .actor import Actor
from .facilitation import agenda_state, latest_vote, settings_dict, vote_dict
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


def board_snapshot(db: Session, ws: WorkshopSession, viewer: Actor | None = None,
                   cards: list[dict] | None = None) -> dict:
    """``cards``: this viewer's card dicts at exactly ``ws.seq``, when the caller already has them
    (cards change only through operations, and every operation moves ``seq``)."""
    phases = db.scalars(select(Phase).where(Phase.session_id == ws.id).order_by(Phase.position, Phase.id)).all()
    lanes = db.scalars(select(Lane).where(Lane.session_id == ws.id).order_by(Lane.position, Lane.id)).all()
    card_rows = None if cards is not None else db.scalars(
        select(Card).where(Card.session_id == ws.id).order_by(Card.position, Card.id)).all()
    plate = db.scalars(select(PlateItem).where(PlateItem.session_id == ws.id)
                       .order_by(PlateItem.position, PlateItem.id)).all()
    participants = db.scalars(select(Participant).where(
        Participant.session_id == ws.id, Participant.removed_at.is_(None)).order_by(Participant.id)).all()
    show_names = not ws.anonymous or (viewer is not None and viewer.is_facilitator)
    agenda = agenda_state(db, ws.id)
    return {
        "seq": ws.seq,
        "session": session_meta(ws, viewer),
        "phases": [phase_dict(p) for p in phases],
        "lanes": [lane_dict(lane) for lane in lanes],
        "cards": cards if cards is not None else [_card_for(c, show_names, viewer) for c in card_rows],
        "plate": [plate_item_dict(i) for i in plate],
        "participants": [
            {"id": p.id, "name": p.display_name if show_names else None} for p in participants
        ],
        "agenda": agenda["agenda"],
        "timer": agenda["timer"],
        "vote": vote_dict(db, latest_vote(db, ws.id), viewer),
    }
