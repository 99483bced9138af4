"""What a (re)connecting client missed: events from the log, or the whole board.

Read-only; the event log is written by ``workshop.board.operations``.
"""
from __future__ import annotations

import time
import weakref

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..board import Actor, OpResult, board_snapshot
from ..board.redact import own_card_add
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
    own = viewer.tag if hidden and viewer is not None and viewer.kind == "participant" else None
    out = []
    for row in db.scalars(q):
        event = OpResult(row.seq, row.type, row.payload, row.op_id, row.actor, names_hidden=hidden).event
        if own is not None and row.actor == own:  # the viewer's own card stays theirs (redact.py)
            event = own_card_add(event, viewer.id)
        out.append((row.seq, encode(event)))
    return out


# The cards of recent snapshots, per (session, seq, who may see which names): a room of thirty
# reconnecting at once after a wifi drop asks for the same board thirty times. Cards change
# only through operations, which move seq, so an entry never goes stale; old ones are dropped.
CARDS_CACHE_SIZE = 32
CARDS_CACHE_SECONDS = 30
_cards_caches: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # per database engine


def snapshot_message(db: Session, session_id: int, viewer: Actor) -> dict | None:
    """The whole board as one frame; the caller reads it in one consistent transaction."""
    ws = db.scalars(select(WorkshopSession).where(WorkshopSession.id == session_id)
                    .execution_options(populate_existing=True)).one_or_none()
    if ws is None:
        return None
    # in an anonymous session what a card shows may depend on who looks: one entry per viewer
    key = (session_id, ws.seq, (viewer.kind, viewer.id) if ws.anonymous else None)
    _cards_cache = _cards_caches.setdefault(db.get_bind(), {})
    now = time.monotonic()
    hit = _cards_cache.get(key)
    cards = hit[1] if hit is not None and now - hit[0] < CARDS_CACHE_SECONDS else None
    snapshot = board_snapshot(db, ws, viewer, cards=cards)
    if cards is None:
        _cards_cache[key] = (now, snapshot["cards"])
        while len(_cards_cache) > CARDS_CACHE_SIZE:
            _cards_cache.pop(next(iter(_cards_cache)), None)
    return {"type": "snapshot", "seq": ws.seq, "snapshot": snapshot}


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
