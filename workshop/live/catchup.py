"""What a (re)connecting client missed: events from the log, or the whole board.

Read-only; the event log is written by ``workshop.board.operations``.
"""
from __future__ import annotations

import time
import weakref

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..board import Actor, OpResult, board_snapshot
from ..board.snapshot import board_parts, snapshot_cards
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


# What recent snapshots read, per (session, seq): a room of thirty reconnecting at once after
# a wifi drop, or fifty people joining, ask for the same board again and again. The board's
# phases, lanes, plate and agenda (``board_parts``) and its cards change only through
# operations, which move seq, so an entry does not go stale; old ones are dropped. Cards are
# kept per "who may see which names": in an anonymous session that depends on who looks.
CACHE_SIZE = 64
CACHE_SECONDS = 30
_caches: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # per database engine


def _cached(db: Session, key: tuple, read):
    cache = _caches.setdefault(db.get_bind(), {})
    now = time.monotonic()
    hit = cache.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = read()
    cache[key] = (now, value)
    while len(cache) > CACHE_SIZE:
        cache.pop(next(iter(cache)), None)
    return value


def _session_row(db: Session, session_id: int) -> WorkshopSession | None:
    return db.scalars(select(WorkshopSession).where(WorkshopSession.id == session_id)
                      .options(joinedload(WorkshopSession.formula))  # in the same query: session_meta shows it
                      .execution_options(populate_existing=True)).one_or_none()


def _parts(db: Session, ws: WorkshopSession) -> dict:
    return _cached(db, ("parts", ws.id, ws.seq), lambda: board_parts(db, ws.id))


def _cards_key(ws: WorkshopSession, viewer: Actor) -> tuple:
    return (ws.id, ws.seq, (viewer.kind, viewer.id) if ws.anonymous else None)


def snapshot_message(db: Session, session_id: int, viewer: Actor) -> dict | None:
    """The whole board as one frame; the caller reads it in one consistent transaction."""
    ws = _session_row(db, session_id)
    if ws is None:
        return None
    cards = _cached(db, ("cards",) + _cards_key(ws, viewer), lambda: snapshot_cards(db, ws, viewer))
    snapshot = board_snapshot(db, ws, viewer, cards=cards, parts=_parts(db, ws))
    return {"type": "snapshot", "seq": ws.seq, "snapshot": snapshot}


def compact_snapshot_frame(db: Session, session_id: int, viewer: Actor) -> tuple[int, bool, str] | None:
    """``(seq, names hidden, text)`` of the snapshot frame in compact form (``compact_snapshot``).

    The same frame as encoding ``{"type": "snapshot", "seq", "compact"}``, except that the cards
    table (most of the bytes) is encoded once per (session, seq, who may see which names) and
    spliced in as the last key: a room joining at once encodes its board once, not once per person.
    """
    ws = _session_row(db, session_id)
    if ws is None:
        return None
    key = _cards_key(ws, viewer)
    cards_json = _cached(db, ("cards_json",) + key, lambda: encode(compact_table(
        "cards", _cached(db, ("cards",) + key, lambda: snapshot_cards(db, ws, viewer)))))
    compact = compact_snapshot(board_snapshot(db, ws, viewer, cards=[], parts=_parts(db, ws)))
    del compact["cards"]
    head = encode({"type": "snapshot", "seq": ws.seq, "compact": compact})
    if not head.endswith("}}"):  # the compact snapshot is the frame's last key, and never empty
        raise RuntimeError("unexpected snapshot frame")
    return ws.seq, bool(ws.anonymous), head[:-2] + ',"cards":' + cards_json + "}}"


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
        if isinstance(items, list):
            out[name] = compact_table(name, items)
    return out


def compact_table(name: str, items: list[dict]) -> dict:
    """One list of a snapshot as ``{keys, rows}``."""
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
    return {"keys": keys, "rows": rows}
