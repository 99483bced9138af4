"""The report of a session as one plain dict: what the PDF and the CSV draw.

Only this module reads the database; ``pdf`` and ``csv_export`` take the dict
and return bytes, so they can be tested and benchmarked without an app.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..cloning import AGREEMENT_HEADINGS, GUARANTEE_HEADINGS
from ..models import (AgendaRound, Card, Channel, Lane, Participant, Phase, PlateItem, Vote, VoteRound,
                      WorkshopSession)


def _ordered_headings(items: list[dict], standard: list[str]) -> dict[str, list[str]]:
    """The standard headings first (even when empty), then any the session added."""
    out: dict[str, list[str]] = {h: [] for h in standard}
    for item in items:
        out.setdefault(item["heading"], []).append(item["text"])
    return out


def card_votes(db: Session, session_id: int) -> dict[int, int]:
    """Votes per card from revealed or closed rounds (hidden counts never leave the room)."""
    rows = db.execute(
        select(Vote.card_id, func.sum(Vote.count))
        .join(VoteRound, VoteRound.id == Vote.vote_round_id)
        .where(VoteRound.session_id == session_id, VoteRound.status.in_(("revealed", "closed")))
        .group_by(Vote.card_id)).all()
    return {card_id: int(total or 0) for card_id, total in rows}


def build_report(db: Session, ws: WorkshopSession, anonymous: bool | None = None) -> dict:
    """Everything the report shows. ``anonymous`` defaults to the session's own setting."""
    if anonymous is None:
        anonymous = bool(ws.anonymous)
    channel_names = {c.slug: c.name for c in db.scalars(select(Channel))}
    phases = db.scalars(select(Phase).where(Phase.session_id == ws.id).order_by(Phase.position, Phase.id)).all()
    lanes = db.scalars(select(Lane).where(Lane.session_id == ws.id).order_by(Lane.position, Lane.id)).all()
    cards = db.scalars(select(Card).where(Card.session_id == ws.id).order_by(Card.position, Card.id)).all()
    plate = [{"section": i.section, "heading": i.heading, "text": i.text} for i in db.scalars(
        select(PlateItem).where(PlateItem.session_id == ws.id).order_by(PlateItem.position, PlateItem.id))]
    agenda = db.scalars(select(AgendaRound).where(AgendaRound.session_id == ws.id)
                        .order_by(AgendaRound.position, AgendaRound.id)).all()
    participants = db.scalars(select(Participant).where(
        Participant.session_id == ws.id, Participant.removed_at.is_(None)).order_by(Participant.id)).all()
    counted = card_votes(db, ws.id)
    formula = ws.formula
    facilitator = ws.facilitator
    return {
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "anonymous": anonymous,
        "session": {
            "id": ws.id, "title": ws.title, "municipality": ws.municipality or "", "product": ws.product or "",
            "status": ws.status, "tagline": ws.tagline or "", "personas": list(ws.personas or []),
            "session_date": ws.session_date.isoformat() if ws.session_date else None,
            "created_at": ws.created_at.date().isoformat() if ws.created_at else None,
        },
        "formula": None if formula is None else {
            "slug": formula.slug, "name": formula.name, "core_values": list(formula.core_values or []),
            "customer_role": formula.customer_role or "", "tagline": formula.tagline or "",
        },
        "facilitator": facilitator.display_name if facilitator else "",
        "phases": [{"id": p.id, "current_name": p.current_name, "desired_name": p.desired_name or "",
                    "statement": p.statement or ""} for p in phases],
        "lanes": [{"id": lane.id, "kind": lane.kind, "name": lane.name} for lane in lanes],
        "cards": [{
            "id": c.id, "phase_id": c.phase_id, "lane_id": c.lane_id, "title": c.title,
            "statement": c.statement or "",
            "channels": [channel_names.get(slug, slug) for slug in (c.channels or [])],
            "votes": max(c.votes or 0, counted.get(c.id, 0)),
            "author": None if anonymous else (c.author_name or None),
        } for c in cards],
        "plate": {
            "guarantees": _ordered_headings([i for i in plate if i["section"] == "guarantee"], GUARANTEE_HEADINGS),
            "agreements": _ordered_headings([i for i in plate if i["section"] == "agreement"], AGREEMENT_HEADINGS),
        },
        "agenda": [{"name": r.name, "duration_seconds": r.duration_seconds, "instructions": r.instructions or "",
                    "status": r.status} for r in agenda],
        "participant_count": len(participants),
        "participants": None if anonymous else [p.display_name for p in participants],
    }
