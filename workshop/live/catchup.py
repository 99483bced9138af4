"""What a (re)connecting client missed: events from the log, or the whole board.

Read-only; the event log is written by ``workshop.board.operations``.
"""
from __future__ import annotations

import time
import weakref

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from ..board import Actor, OpResult, board_snapshot
from ..board.facilitation import latest_vote, own_votes, timer_dict, vote_dict
from ..board.snapshot import board_parts, snapshot_cards, snapshot_head
from ..board.prepared import Prepared
from ..db import utcnow
from ..board.redact import own_card_add
from ..models import BoardEvent, Participant, WorkshopSession
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


# What recent snapshots read. A room of thirty reconnecting at once after a wifi drop, or fifty
# people joining, ask for the same board again and again. Each entry is keyed by the session's
# whole row as read now (seq moves with every operation; title, status, settings and the
# anonymisation date are in it too, and created_at tells a new session from a deleted one whose
# id SQLite gave out again), so an entry never goes stale; old ones are dropped. Phases, lanes,
# plate, agenda and cards change only through operations; the participants list also when
# someone joins, so the head of the frame is keyed by the newest participant's id too. Cards
# are kept per "who may see which names": in an anonymous session that depends on who looks.
CACHE_SIZE = 256
CACHE_SECONDS = 30
_caches: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # per database engine


def _hit(engine, key: tuple):
    hit = _caches.get(engine, {}).get(key)
    return hit[1] if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS else None


def _cached(db: Session, key: tuple, read):
    engine = db.get_bind()
    value = _hit(engine, key)
    if value is not None:
        return value
    cache = _caches.setdefault(engine, {})
    now = time.monotonic()
    value = read()
    cache.pop(key, None)  # re-inserted last: the dict's order is the order of age
    cache[key] = (now, value)
    while cache:  # (another thread may evict at the same time: nothing here may raise)
        oldest = next(iter(cache), None)
        entry = cache.get(oldest) if oldest is not None else None
        if entry is not None and len(cache) <= CACHE_SIZE and now - entry[0] < CACHE_SECONDS:
            break
        cache.pop(oldest, None)
    return value


_STATE = Prepared(select(WorkshopSession.__table__,
                         select(func.max(Participant.id)).where(Participant.session_id == WorkshopSession.id)
                         .scalar_subquery().label("newest_participant")).where(WorkshopSession.id == bindparam("sid")))


def _state(conn, session_id: int):
    """``(row, key)``: the session row and what the cache keys are made of (None: no session)."""
    row = _STATE.first(conn, {"sid": session_id})
    if row is None:
        return None, None
    return row, repr(tuple(row)[:-1])


def _session_row(db: Session, session_id: int) -> WorkshopSession | None:
    return db.scalars(select(WorkshopSession).where(WorkshopSession.id == session_id)
                      .options(joinedload(WorkshopSession.formula))  # in the same query: session_meta shows it
                      .execution_options(populate_existing=True)).one_or_none()


def _parts(db: Session, session_id: int, state: str) -> dict:
    return _cached(db, ("parts", session_id, state), lambda: board_parts(db, session_id))


def _names_key(row, viewer: Actor):
    return (viewer.kind, viewer.id) if row.anonymous else None


def snapshot_message(db: Session, session_id: int, viewer: Actor) -> dict | None:
    """The whole board as one frame; the caller reads it in one consistent transaction."""
    row, state = _state(db.connection(), session_id)
    if row is None:
        return None
    ws = _session_row(db, session_id)
    cards = snapshot_cards(db, ws, viewer)
    snapshot = board_snapshot(db, ws, viewer, cards=cards, parts=_parts(db, session_id, state))
    return {"type": "snapshot", "seq": ws.seq, "snapshot": snapshot}


def _frame_head(db: Session, session_id: int, state: str, viewer: Actor) -> tuple[str, list, dict | None]:
    """What a compact snapshot frame holds for every facilitator (or every participant) alike:
    the frame's text up to the timer, the agenda's rounds and the vote without anyone's own votes."""
    ws = _session_row(db, session_id)
    parts = _parts(db, session_id, state)
    compact = compact_snapshot(snapshot_head(db, ws, viewer, parts))
    text = encode({"type": "snapshot", "seq": ws.seq, "compact": compact})
    if not text.endswith("}}"):  # the compact snapshot is the frame's last key, and never empty
        raise RuntimeError("unexpected snapshot frame")
    return text[:-2], parts["rounds"], vote_dict(db, latest_vote(db, session_id))


def _head_key(session_id: int, state: str, row, viewer: Actor) -> tuple:
    return ("head", session_id, state, row.newest_participant, viewer.is_facilitator)


def _cards_json_key(session_id: int, state: str, row, viewer: Actor) -> tuple:
    return ("cards_json", session_id, state, _names_key(row, viewer))


def _assemble(db, row, head: tuple, cards_json: str, viewer: Actor) -> tuple[int, bool, str]:
    text, rounds, vote = head
    if vote is not None and viewer.kind == "participant":
        vote = dict(vote, mine=own_votes(db, vote["id"], viewer.id))
    return row.seq, bool(row.anonymous), (text + ',"timer":' + encode(timer_dict(rounds, utcnow()))
                                          + ',"vote":' + encode(vote) + ',"cards":' + cards_json + "}}")


def cached_snapshot_frame(engine, conn, session_id: int, viewer: Actor) -> tuple[int, bool, str] | None:
    """``compact_snapshot_frame`` from one read of the session row (``db.autocommit_reads``), when
    the rest is cached; None when it is not, when a participant's own votes must be read too (that
    needs a second statement in the same transaction), or when the session is gone."""
    row, state = _state(conn, session_id)
    if row is None:
        return None
    head = _hit(engine, _head_key(session_id, state, row, viewer))
    cards_json = _hit(engine, _cards_json_key(session_id, state, row, viewer))
    if head is None or cards_json is None or (head[2] is not None and viewer.kind == "participant"):
        return None
    return _assemble(conn, row, head, cards_json, viewer)


def compact_snapshot_frame(db: Session, session_id: int, viewer: Actor) -> tuple[int, bool, str] | None:
    """``(seq, names hidden, text)`` of the snapshot frame in compact form (``compact_snapshot``).

    The same frame as encoding ``{"type": "snapshot", "seq", "compact"}``, built from cached
    text: the head (``_frame_head``) once per board state and kind of viewer, the cards table
    (most of the bytes) once per board state and who may see which names. Per connection only
    the session row is read, the timer computed and, during a vote, a participant's own votes.
    """
    row, state = _state(db.connection(), session_id)
    if row is None:
        return None
    head = _cached(db, _head_key(session_id, state, row, viewer), lambda: _frame_head(db, session_id, state, viewer))
    cards_json = _cached(db, _cards_json_key(session_id, state, row, viewer),
                         lambda: encode(compact_table("cards", snapshot_cards(db, row, viewer))))
    return _assemble(db, row, head, cards_json, viewer)


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
