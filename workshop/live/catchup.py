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


def events_between(db: Session, session_id: int, after: int, upto: int) -> list[tuple[int, str]]:
    """Encoded event frames with ``after < seq <= upto``, in order: the frames the operations sent."""
    q = select(BoardEvent).where(BoardEvent.session_id == session_id, BoardEvent.seq > after,
                                 BoardEvent.seq <= upto).order_by(BoardEvent.seq)
    return [(row.seq, encode(OpResult(row.seq, row.type, row.payload, row.op_id, row.actor).event))
            for row in db.scalars(q)]


def snapshot_message(db: Session, session_id: int, viewer: Actor) -> dict | None:
    """The whole board as one frame; the caller reads it in one consistent transaction."""
    ws = db.scalars(select(WorkshopSession).where(WorkshopSession.id == session_id)
                    .execution_options(populate_existing=True)).one_or_none()
    if ws is None:
        return None
    return {"type": "snapshot", "seq": ws.seq, "snapshot": board_snapshot(db, ws, viewer)}


# The lists of a snapshot sent as columns in a compact snapshot (docs/protocol.md).
COMPACT_TABLES = ("phases", "lanes", "cards", "plate", "participants")


def compact_snapshot(snapshot: dict) -> dict:
    """The snapshot with its lists of objects as ``{keys, rows}``: no key repeated per card.

    A card's ``updated_at`` is null when it equals its ``created_at`` (most cards
    are never edited). ``static/js/wire.js`` ``expandSnapshot`` undoes both.
    """
    out = dict(snapshot)
    for name in COMPACT_TABLES:
        items = snapshot.get(name)
        if not isinstance(items, list):
            continue
        keys: list[str] = []
        for item in items:
            for key in item:
                if key not in keys:
                    keys.append(key)
        if name == "cards":
            rows = [[None if k == "updated_at" and item.get(k) == item.get("created_at") else item.get(k)
                     for k in keys] for item in items]
        else:
            rows = [[item.get(k) for k in keys] for item in items]
        out[name] = {"keys": keys, "rows": rows}
    return out
