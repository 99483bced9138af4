"""What a (re)connecting client missed: events from the log, or the whole board.

Read-only; the event log is written by ``workshop.board.operations``.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..board import Actor, OpResult, board_snapshot
from ..models import BoardEvent, WorkshopSession
from .hub import encode


def current_seq(db: Session, session_id: int) -> int | None:
    return db.scalar(select(WorkshopSession.seq).where(WorkshopSession.id == session_id))


def events_between(db: Session, session_id: int, after: int, upto: int,
                   viewer: Actor | None = None) -> list[tuple[int, str]]:
    """Encoded event frames with ``after < seq <= upto``, in order.

    Names are taken out when the session hides them *now* and the viewer is not
    its facilitator: events stored before the switch carry none either.
    """
    hidden = False
    if viewer is None or not viewer.is_facilitator:
        hidden = bool(db.scalar(select(WorkshopSession.anonymous).where(WorkshopSession.id == session_id)))
    q = select(BoardEvent).where(BoardEvent.session_id == session_id, BoardEvent.seq > after,
                                 BoardEvent.seq <= upto).order_by(BoardEvent.seq)
    return [(row.seq, encode(OpResult(row.seq, row.type, row.payload, row.op_id, row.actor,
                                      names_hidden=hidden).event))
            for row in db.scalars(q)]


def snapshot_message(db: Session, session_id: int, viewer: Actor) -> dict | None:
    """The whole board as one frame; the caller reads it in one consistent transaction."""
    ws = db.scalars(select(WorkshopSession).where(WorkshopSession.id == session_id)
                    .execution_options(populate_existing=True)).one_or_none()
    if ws is None:
        return None
    return {"type": "snapshot", "seq": ws.seq, "snapshot": board_snapshot(db, ws, viewer)}
