"""What a (re)connecting client missed: events from the log, or the whole board.

Read-only; the event log is written by ``workshop.board.operations``.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..board import Actor, board_snapshot
from ..models import BoardEvent, WorkshopSession
from .hub import encode


def event_message(row: BoardEvent) -> dict:
    """The same frame ``OpResult.event`` gives for a freshly applied operation."""
    return {"type": "event", "seq": row.seq, "event": row.type, "data": row.payload, "op_id": row.op_id,
            "actor": row.actor}


def current_seq(db: Session, session_id: int) -> int | None:
    return db.scalar(select(WorkshopSession.seq).where(WorkshopSession.id == session_id))


def events_between(db: Session, session_id: int, after: int, upto: int | None = None,
                   limit: int | None = None) -> list[tuple[int, str]]:
    """Encoded event frames with ``after < seq <= upto``, in order."""
    q = select(BoardEvent).where(BoardEvent.session_id == session_id, BoardEvent.seq > after)
    if upto is not None:
        q = q.where(BoardEvent.seq <= upto)
    q = q.order_by(BoardEvent.seq)
    if limit is not None:
        q = q.limit(limit)
    return [(row.seq, encode(event_message(row))) for row in db.scalars(q)]


def count_between(db: Session, session_id: int, after: int, upto: int) -> int:
    return db.scalar(select(func.count()).select_from(BoardEvent).where(
        BoardEvent.session_id == session_id, BoardEvent.seq > after, BoardEvent.seq <= upto)) or 0


def snapshot_message(db: Session, session_id: int, viewer: Actor) -> dict | None:
    """The whole board as one frame; the caller reads it in one consistent transaction."""
    ws = db.scalars(select(WorkshopSession).where(WorkshopSession.id == session_id)
                    .execution_options(populate_existing=True)).one_or_none()
    if ws is None:
        return None
    return {"type": "snapshot", "seq": ws.seq, "snapshot": board_snapshot(db, ws, viewer)}
