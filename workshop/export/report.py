"""The report of a session as one plain dict: what the PDF and the CSV draw.

Only this module reads the database; ``pdf`` and ``csv_export`` take the dict
and return bytes, so they can be tested and benchmarked without an app.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cloning import AGREEMENT_HEADINGS, GUARANTEE_HEADINGS
from ..models import (AgendaRound, Card, Channel, Lane, LibraryEntry, Participant, Phase, PlateItem, Vote,
                      VoteRound, WorkshopSession)


def _ordered_headings(items: list[dict], standard: list[str]) -> dict[str, list[str]]:
    """The standard headings first (even when empty), then any the session added."""
    out: dict[str, list[str]] = {h: [] for h in standard}
    for item in items:
        out.setdefault(item["heading"], []).append(item["text"])
    return out


def vote_rounds(db: Session, session_id: int, lanes: dict[int, str]) -> list[dict]:
    """Revealed and closed rounds, oldest first, with their counts per card.

    Counts of a round still open stay hidden: they never leave the room.
    """
    rounds = db.scalars(select(VoteRound).where(VoteRound.session_id == session_id,
                                                VoteRound.status.in_(("revealed", "closed")))
                        .order_by(VoteRound.opened_at, VoteRound.id)).all()
    if not rounds:
        return []
    counts: dict[int, dict[int, int]] = {}
    voters: dict[int, set] = {}
    for round_id, card_id, participant_id, count in db.execute(
            select(Vote.vote_round_id, Vote.card_id, Vote.participant_id, Vote.count)
            .where(Vote.vote_round_id.in_([r.id for r in rounds]))):
        per_card = counts.setdefault(round_id, {})
        per_card[card_id] = per_card.get(card_id, 0) + int(count or 0)
        voters.setdefault(round_id, set()).add(participant_id)
    return [{
        "id": r.id, "number": n, "lane_id": r.lane_id, "lane_name": lanes.get(r.lane_id, ""),
        "status": r.status, "votes_per_participant": r.votes_per_participant, "max_per_card": r.max_per_card,
        "voters": len(voters.get(r.id, ())), "votes_cast": sum(counts.get(r.id, {}).values()),
        "closed_at": r.closed_at.date().isoformat() if r.closed_at else None,
        "counts": counts.get(r.id, {}),
    } for n, r in enumerate(rounds, 1)]


def board_total(card: Card, rounds: list[dict]) -> int:
    """What the board shows on the card: the result fixed by the last closed round on its lane
    (``card.votes``), or the counts of a round revealed on its lane and not closed yet."""
    latest = next((r for r in reversed(rounds) if r["lane_id"] == card.lane_id), None)
    if latest is not None and latest["status"] == "revealed":
        return latest["counts"].get(card.id, 0)
    return card.votes or 0


def build_report(db: Session, ws: WorkshopSession, anonymous: bool | None = None) -> dict:
    """Everything the report shows. ``anonymous`` defaults to the session's own setting.

    Plain JSON values only (string keys, no tuples or dates): ``json.loads(json.dumps(report))``
    gives the same dict, so a render in a child process draws what a render in this one draws.
    """
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
    rounds = vote_rounds(db, ws.id, {lane.id: lane.name for lane in lanes})
    entry_ids = {c.library_entry_id for c in cards if c.library_entry_id}
    entries = ({e.id: e.name for e in db.scalars(select(LibraryEntry).where(LibraryEntry.id.in_(entry_ids)))}
               if entry_ids else {})
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
            "description": formula.description or "", "personas": list(formula.personas or []),
        },
        "facilitator": facilitator.display_name if facilitator else "",
        "phases": [{"id": p.id, "current_name": p.current_name, "desired_name": p.desired_name or "",
                    "statement": p.statement or ""} for p in phases],
        "lanes": [{"id": lane.id, "kind": lane.kind, "name": lane.name} for lane in lanes],
        "cards": [{
            "id": c.id, "phase_id": c.phase_id, "lane_id": c.lane_id, "title": c.title,
            "statement": c.statement or "",
            "channels": [channel_names.get(slug, slug) for slug in (c.channels or [])],
            "votes": board_total(c, rounds),
            # keyed by the round id as a string: the dict must survive JSON unchanged, since the
            # production PDF is drawn from it in a child process (export/render_process.py)
            "round_votes": {str(r["id"]): r["counts"][c.id] for r in rounds if c.id in r["counts"]},
            "library_entry": entries.get(c.library_entry_id),
            "author": None if anonymous else (c.author_name or None),
        } for c in cards],
        "plate": {
            "guarantees": _ordered_headings([i for i in plate if i["section"] == "guarantee"], GUARANTEE_HEADINGS),
            "agreements": _ordered_headings([i for i in plate if i["section"] == "agreement"], AGREEMENT_HEADINGS),
        },
        "agenda": [{"name": r.name, "duration_seconds": r.duration_seconds, "instructions": r.instructions or "",
                    "status": r.status} for r in agenda],
        "vote_rounds": [{k: v for k, v in r.items() if k != "counts"} for r in rounds],
        "participant_count": len(participants),
        "participants": None if anonymous else [p.display_name for p in participants],
    }
