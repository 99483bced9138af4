"""Participants' names are personal data (AVG): anonymise them after the retention period.

A session closed more than ``RETENTION_DAYS`` days ago keeps its board, but its
participants become "Deelnemer 1", "Deelnemer 2" … (in join order), on the
participant rows, on the cards they wrote and in the event log. Like the board
operations these functions flush and never commit; the CLI command commits.

``workshop privacy anonymise-expired`` (workshop/cli.py) runs it daily from cron or a systemd timer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import utcnow
from .models import BoardEvent, Card, Participant, SessionStatus, WorkshopSession

PSEUDONYM = "Deelnemer {n}"
UNKNOWN_AUTHOR = "Deelnemer"


@dataclass
class Anonymised:
    sessions: int = 0
    participants: int = 0
    cards: int = 0
    events: int = 0


def expired_sessions(db: Session, days: int) -> list[WorkshopSession]:
    cutoff = utcnow() - timedelta(days=days)
    return list(db.scalars(select(WorkshopSession).where(
        WorkshopSession.status == SessionStatus.closed.value,
        WorkshopSession.closed_at < cutoff,
        WorkshopSession.participants_anonymised_at.is_(None),
    ).order_by(WorkshopSession.id)))


def _replace_names(value, names: dict[str, str]):
    """The JSON ``value`` with every string that is exactly a participant's old name replaced."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_replace_names(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _replace_names(v, names) for k, v in value.items()}
    return value


def anonymise_session(db: Session, ws: WorkshopSession, result: Anonymised | None = None) -> Anonymised:
    result = result or Anonymised()
    participants = db.scalars(select(Participant).where(Participant.session_id == ws.id)
                              .order_by(Participant.created_at, Participant.id)).all()
    by_id: dict[int, str] = {}
    old_to_new: dict[str, str] = {}
    for n, p in enumerate(participants, 1):
        new = PSEUDONYM.format(n=n)
        by_id[p.id] = new
        if p.display_name and p.display_name != new:
            old_to_new.setdefault(p.display_name, new)
        p.display_name = new
        result.participants += 1
    for card in db.scalars(select(Card).where(Card.session_id == ws.id)):
        if card.author_participant_id is not None:
            new = by_id.get(card.author_participant_id, UNKNOWN_AUTHOR)
        elif card.author_facilitator_id is None and card.author_name:
            new = old_to_new.get(card.author_name, UNKNOWN_AUTHOR)  # author left; name stayed
        else:
            continue  # the facilitator's own cards: an account holder, not a participant
        if card.author_name != new:
            card.author_name = new
            result.cards += 1
    if old_to_new:
        for event in db.scalars(select(BoardEvent).where(BoardEvent.session_id == ws.id)):
            payload = _replace_names(event.payload, old_to_new)
            if payload != event.payload:
                event.payload = payload
                result.events += 1
    ws.participants_anonymised_at = utcnow()
    result.sessions += 1
    db.flush()
    return result


def anonymise_expired(db: Session, days: int) -> Anonymised:
    """Anonymise every session closed more than ``days`` days ago (once)."""
    result = Anonymised()
    for ws in expired_sessions(db, days):
        anonymise_session(db, ws, result)
    return result
