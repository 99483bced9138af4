"""Board operations: validate → check permission → apply → log event → flush.

Every change to a board's phases, lanes and cards goes through
``apply_operation``, whether it arrives over HTTP or a websocket. Handlers
return the event payload that every client applies to its local copy.
The caller commits, then publishes ``result.event``.
"""
from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from typing import Callable

from types import SimpleNamespace

from sqlalchemy import and_, bindparam, delete, insert, literal_column, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..db import utcnow
from ..models import (BoardEvent, Card, Channel, Facilitator, Lane, LaneKind, LibraryEntry, Participant, Phase,
                      SessionStatus, WorkshopSession)
from . import validate as v
from .actor import Actor
from .errors import N_, BoardError, Conflict, Forbidden, NotFound, ValidationError
from .library import card_text
from .prepared import Prepared
from .redact import event_without_names
from .serialize import card_dict, iso, lane_dict, phase_dict

# Smallest gap between two fractional positions before a cell is renumbered.
MIN_GAP = 1e-6


@dataclass
class OpResult:
    seq: int
    type: str
    payload: dict
    op_id: str | None
    actor: str
    duplicate: bool = False
    names_hidden: bool = False  # the session hid names when this was committed

    @property
    def event(self) -> dict:
        """The frame every client of the session receives (the stored payload keeps the names)."""
        event = {"type": "event", "seq": self.seq, "event": self.type, "data": self.payload,
                 "op_id": self.op_id, "actor": self.actor}
        return event_without_names(event) if self.names_hidden else event


@dataclass
class Context:
    """What a handler works with: the database session, the locked session row, the actor.

    ``row`` holds the session's settings as read under the lock (enough for the
    card operations, which run as Core statements on ``conn``). ``ws`` is the
    ORM object, loaded on first use by the operations that change it.
    """

    db: Session
    row: Row
    actor: Actor
    _ws: WorkshopSession | None = None
    _conn: Connection | None = None
    _channels: set[str] | None = None
    card_asked: int | None = None  # the card id whose row was read with the session lock …
    card_row: Row | None = None  # … into ``card_row.card_*`` (NULLs when it is not on this board)

    @property
    def session_id(self) -> int:
        return self.row.id

    @property
    def ws(self) -> WorkshopSession:
        if self._ws is None:
            # fresh from the database: it is read after the lock was taken
            self._ws = self.db.get(WorkshopSession, self.row.id, populate_existing=True)
        return self._ws

    @property
    def conn(self) -> Connection:
        """The session's connection, in the same transaction, for Core statements."""
        if self._conn is None:
            self._conn = self.db.connection()
        return self._conn

    @property
    def known_channels(self) -> set[str]:
        if self._channels is None:
            self._channels = channel_slugs(self.db)
        return self._channels

    @property
    def anonymous(self) -> bool:
        return self._ws.anonymous if self._ws is not None else bool(self.row.anonymous)

    @property
    def edit_policy(self) -> str:
        return self._ws.edit_policy if self._ws is not None else self.row.edit_policy


# The channel list changes only when the seed is loaded (which calls
# forget_channels); a short per-engine cache saves a query on most card
# operations and on every document validation.
_CHANNELS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # engine -> (read at, slugs)
CHANNEL_CACHE_SECONDS = 30.0


def channel_slugs(db: Session) -> frozenset:
    """The slugs of the known channels (website-dso, sms, …)."""
    engine = db.get_bind()
    now = time.monotonic()
    hit = _CHANNELS.get(engine)
    if hit is None or now - hit[0] > CHANNEL_CACHE_SECONDS:
        hit = (now, frozenset(db.scalars(select(Channel.slug))))
        _CHANNELS[engine] = hit
    return hit[1]


def forget_channels() -> None:
    _CHANNELS.clear()


@dataclass
class Handler:
    fn: Callable[[Context, dict], dict]
    facilitator_only: bool
    while_locked: bool


HANDLERS: dict[str, Handler] = {}


def operation(name: str, *, facilitator_only: bool = False, while_locked: bool = False):
    def register(fn):
        HANDLERS[name] = Handler(fn, facilitator_only, while_locked)
        return fn
    return register


# ---------------------------------------------------------------------------
# entry point


def apply_operation(db: Session, ws: WorkshopSession | int, actor: Actor, op, *,
                    login_version: int | None = None) -> OpResult:
    """Apply one client operation to a session's board. Raises ``BoardError``.

    ``login_version``: for a facilitator acting over a connection opened with a
    login, that login's ``Facilitator.session_version``; once raised (logout
    ended every login) the operation is refused with code ``logged_out``.
    """
    if not isinstance(op, dict):
        raise ValidationError(N_("An operation must be a JSON object."), code="malformed")
    op_type = op.get("type")
    if not isinstance(op_type, str):
        raise ValidationError(N_("The field “%(name)s” is required."), code="missing_field", field="type",
                              name="type")
    handler = HANDLERS.get(op_type)
    if handler is None:
        raise ValidationError(N_("Unknown operation type: %(type)s."), code="unknown_type", type=op_type[:40])
    op_id = v.text(op, "op_id", v.LIMITS["op_id"], default=None)
    if op_id == "":
        op_id = None

    session_id = ws if isinstance(ws, int) else ws.id
    conn = db.connection()
    # Lock the session row: on PostgreSQL this serialises writers of one
    # session (sequence numbers without gaps); SQLite's BEGIN IMMEDIATE already
    # does. The same statement tells whether a participant is still a member.
    # (the login check rides on the same statement, only for a facilitator's connection)
    # It also says whether ``op_id`` was applied before (a client resending after a reconnect),
    # and for an operation on one card (CARD_BY_ID) it brings that card's row.
    checks_login = login_version is not None and actor.kind == "facilitator"
    card_id = op.get("id") if op_type in CARD_BY_ID else None
    if type(card_id) is not int or not 1 <= card_id <= v.MAX_INT:
        card_id = None  # the handler reports what is wrong with it
    params = {"sid": session_id, "pid": actor.id if actor.kind == "participant" else None, "op_id": op_id,
              "card_id": card_id}
    # On PostgreSQL (READ COMMITTED) a statement reads what was committed when it *started*, except
    # the row it locks, which comes as it is once the lock is held. When another transaction moved
    # the session on in between (it held the lock, or committed just before), the op_id check, the
    # card row and membership may be stale: the seq seen by the statement's snapshot then differs
    # from the locked row's, and a second statement reads them (and the login version) again. Every write to what they read (the
    # event log, cards, membership) moves seq, so equal seqs mean they are current.
    postgres = conn.dialect.name == "postgresql"
    row = _lock_statement(checks_login, card_id is not None, snapshot=postgres).first(conn, params)
    if row is None:
        raise NotFound(N_("This session does not exist."))
    fresh = row
    if postgres and row.snapshot_seq != row.seq:
        fresh = _AFTER_LOCK.first(conn, {**params, "fid": row.facilitator_id})
    if actor.kind == "participant" and not fresh.member:
        raise Forbidden(N_("You are no longer a participant of this session."), code="removed")
    if checks_login and fresh.login_version != login_version:
        raise Forbidden(N_("You have been logged out. Log in again to continue."), code="logged_out")
    if fresh.seen_seq is not None:
        seen = conn.execute(_SEEN_OP, {"sid": session_id, "op_id": op_id}).first()
        return OpResult(seen.seq, seen.type, seen.payload, op_id, seen.actor, duplicate=True,
                        names_hidden=bool(row.anonymous))

    if not actor.is_facilitator:
        if handler.facilitator_only:
            raise Forbidden(N_("Only the facilitator can do this."))
        if row.status == SessionStatus.closed.value:
            raise Forbidden(N_("This session is closed; the board can no longer be changed."), code="closed")
        if row.locked and not handler.while_locked:
            raise Forbidden(N_("The facilitator has locked the board."), code="locked")

    ctx = Context(db, row, actor, _conn=conn, card_asked=card_id, card_row=fresh)
    payload = handler.fn(ctx, op)

    # The next sequence number and the event log entry, as Core statements:
    # this runs for every change on every board, and the ORM's unit of work
    # cost more than everything else an operation does.
    seq = (row.seq or 0) + 1
    now = utcnow()
    # (parameter names that are no column names: a key named like a column would also be SET)
    bump = {"sid": session_id, "new_seq": seq, "now": now}
    event = {"ev_session": session_id, "ev_seq": seq, "ev_op_id": op_id, "ev_type": op_type, "ev_payload": payload,
             "ev_actor": actor.tag, "ev_at": now}
    if postgres:
        _BUMP_SEQ_AND_LOG.execute(conn, {**bump, **event})  # one round trip to the server instead of two
    else:
        _BUMP_SEQ.execute(conn, bump)
        _INSERT_EVENT.execute(conn, event)
    db.flush()  # what the ORM-based handlers changed
    identity_map = db.identity_map  # empty unless an ORM-based handler ran (or an HTTP caller's session)
    loaded = identity_map.get(Session.identity_key(WorkshopSession, session_id)) if identity_map else None
    if loaded is not None:  # keep an ORM copy of the session row (HTTP callers hold one) truthful
        set_committed_value(loaded, "seq", seq)
        set_committed_value(loaded, "updated_at", now)
    return OpResult(seq, op_type, payload, op_id, actor.tag, names_hidden=bool(ctx.anonymous))


_WS = WorkshopSession.__table__
_EVENTS = BoardEvent.__table__
_CARDS = Card.__table__
_PHASES = Phase.__table__
_LANES = Lane.__table__
_PARTICIPANTS = Participant.__table__
_FACILITATORS = Facilitator.__table__

# Statements of the hot path, built once (their cache keys are memoised).
_MEMBER = (select(_PARTICIPANTS.c.id).where(_PARTICIPANTS.c.id == bindparam("pid"),
                                            _PARTICIPANTS.c.session_id == bindparam("sid"),
                                            _PARTICIPANTS.c.removed_at.is_(None))
           .scalar_subquery().label("member"))
_SEEN_SEQ = (select(_EVENTS.c.seq).where(_EVENTS.c.session_id == bindparam("sid"),
                                          _EVENTS.c.op_id == bindparam("op_id"))
             .scalar_subquery().label("seen_seq"))
_LOCK_COLUMNS = (_WS.c.id, _WS.c.seq, _WS.c.status, _WS.c.locked, _WS.c.anonymous, _WS.c.edit_policy,
                 _WS.c.facilitator_id, _WS.c.formula_id, _MEMBER)
# the current login version of the session's facilitator (a primary-key lookup)
_LOGIN_VERSION = (select(_FACILITATORS.c.session_version).where(_FACILITATORS.c.id == _WS.c.facilitator_id)
                  .scalar_subquery().label("login_version"))
# the card an operation names by id, if it is on this board (NULLs when not)
_CARD_COLUMNS = (_CARDS.c.id.label("card_id"), _CARDS.c.phase_id.label("card_phase_id"),
                 _CARDS.c.lane_id.label("card_lane_id"),
                 _CARDS.c.author_participant_id.label("card_author_participant_id"))
# Operations on one existing card, named by ``id``: its row comes with the session lock.
CARD_BY_ID = frozenset({"card.update", "card.move", "card.delete"})
# Operations whose refusals (a BoardError) all come before their first write, so a transaction
# that carries other operations too stays usable after one is refused (live/writer.py).
REFUSED_BEFORE_WRITING = CARD_BY_ID | {"card.add"}
_LOCK_STATEMENTS: dict[tuple[bool, bool, bool], object] = {}
_CARD_OF_SESSION = and_(_CARDS.c.id == bindparam("card_id"), _CARDS.c.session_id == bindparam("sid"))
# PostgreSQL: the session's seq as of the statement's snapshot (the locked row itself comes as of the lock)
_WS_SNAPSHOT = _WS.alias("ws_snapshot")
_SNAPSHOT_SEQ = (select(_WS_SNAPSHOT.c.seq).where(_WS_SNAPSHOT.c.id == bindparam("sid"))
                 .scalar_subquery().label("snapshot_seq"))


def _lock_statement(login: bool, card: bool, snapshot: bool):
    """The session lock, with the login check, the op_id check and a card's row when asked;
    ``snapshot`` (PostgreSQL) adds the seq the statement's other reads saw: built once per combination."""
    stmt = _LOCK_STATEMENTS.get((login, card, snapshot))
    if stmt is None:
        columns = (_LOCK_COLUMNS + ((_LOGIN_VERSION,) if login else ()) + (_SEEN_SEQ,)
                   + (_CARD_COLUMNS if card else ()) + ((_SNAPSHOT_SEQ,) if snapshot else ()))
        source = _WS.outerjoin(_CARDS, _CARD_OF_SESSION)
        stmt = Prepared(select(*columns).select_from(source if card else _WS).where(_WS.c.id == bindparam("sid"))
                        .with_for_update(of=_WS))
        _LOCK_STATEMENTS[(login, card, snapshot)] = stmt
    return stmt


# PostgreSQL, right after the lock when another writer moved the session on: the op_id check, the
# card's row, membership and the login version, as of now (one round trip)
_ONE = select(literal_column("1").label("one")).subquery("one")  # one row, to outer-join a lookup onto
_AFTER_LOCK = Prepared(select(_SEEN_SEQ, *_CARD_COLUMNS, _MEMBER,
                              select(_FACILITATORS.c.session_version).where(_FACILITATORS.c.id == bindparam("fid"))
                              .scalar_subquery().label("login_version"))
                       .select_from(_ONE.outerjoin(_CARDS, _CARD_OF_SESSION)))
_SEEN_OP = select(_EVENTS.c.seq, _EVENTS.c.type, _EVENTS.c.payload, _EVENTS.c.actor).where(
    _EVENTS.c.session_id == bindparam("sid"), _EVENTS.c.op_id == bindparam("op_id"))
_BUMP_SEQ_CORE = update(_WS).where(_WS.c.id == bindparam("sid")).values(seq=bindparam("new_seq"),
                                                                         updated_at=bindparam("now"))
_INSERT_EVENT_CORE = insert(_EVENTS).values(
    session_id=bindparam("ev_session"), seq=bindparam("ev_seq"), op_id=bindparam("ev_op_id"),
    type=bindparam("ev_type"), payload=bindparam("ev_payload", type_=_EVENTS.c.payload.type),
    actor=bindparam("ev_actor"), created_at=bindparam("ev_at"))
_BUMP_SEQ, _INSERT_EVENT = Prepared(_BUMP_SEQ_CORE), Prepared(_INSERT_EVENT_CORE)
# PostgreSQL: both in one statement (a data-modifying CTE), for the round trip it saves on every operation
_BUMP_SEQ_AND_LOG = Prepared(_INSERT_EVENT_CORE.add_cte(_BUMP_SEQ_CORE.cte("bump_seq")))


# ---------------------------------------------------------------------------
# lookups


MISSING = {
    "card": N_("This card does not exist (any more): someone may have deleted it."),
    "phase": N_("This phase does not exist (any more)."),
    "lane": N_("This lane does not exist (any more)."),
}


def _get_in_session(ctx: Context, model, obj_id: int, what: str):
    obj = ctx.db.get(model, obj_id)
    if obj is None or obj.session_id != ctx.session_id:
        # another session's object is reported as missing: its existence is not leaked
        raise NotFound(MISSING.get(what, N_("This item does not exist (any more).")), code=f"unknown_{what}")
    return obj


_UPDATES_IN_SESSION: dict[tuple, Prepared] = {}


def _update_in_session(ctx: Context, table, row_id: int, changes: dict, what: str) -> None:
    """``UPDATE table SET changes WHERE id AND session_id``: a row of another session (or none) is
    reported as missing, as ``_get_in_session`` does. One pre-built statement per table and set of
    fields (a card's update has at most seven), built at first use."""
    key = (table.name, tuple(changes))
    stmt = _UPDATES_IN_SESSION.get(key)
    if stmt is None:
        stmt = Prepared(update(table).where(table.c.id == bindparam("row_id"), table.c.session_id == bindparam("sid"))
                        .values(**{k: bindparam(f"new_{k}", type_=table.c[k].type) for k in changes}))
        _UPDATES_IN_SESSION[key] = stmt
    params = {"row_id": row_id, "sid": ctx.session_id, **{f"new_{k}": value for k, value in changes.items()}}
    if stmt.execute(ctx.conn, params) != 1:
        raise NotFound(MISSING[what], code=f"unknown_{what}")


_CARD_ROW = Prepared(select(_CARDS.c.id, _CARDS.c.phase_id, _CARDS.c.lane_id, _CARDS.c.author_participant_id)
                     .where(_CARDS.c.id == bindparam("id"), _CARDS.c.session_id == bindparam("sid")))
_CELL = select(
    select(_PHASES.c.id).where(_PHASES.c.id == bindparam("phase_id"), _PHASES.c.session_id == bindparam("sid"))
    .scalar_subquery().label("phase_id"),
    select(_LANES.c.id).where(_LANES.c.id == bindparam("lane_id"), _LANES.c.session_id == bindparam("sid"))
    .scalar_subquery().label("lane_id"),
)


_CREATED_BY = select(_EVENTS.c.payload).where(_EVENTS.c.session_id == bindparam("sid"),
                                               _EVENTS.c.op_id == bindparam("op_id"),
                                               _EVENTS.c.type == "card.add")


def _card(ctx: Context, op: dict) -> Row:
    """The card named by ``op["id"]``, or by ``op["card_op"]``: the op_id of the ``card.add``
    that created it (a browser that added a card offline does not know its id yet, but
    may already edit, move or delete it). Returns the columns the card operations need."""
    if "card_op" in op and "id" not in op:
        created = ctx.conn.execute(_CREATED_BY, {"sid": ctx.session_id, "op_id": v.text(
            op, "card_op", v.LIMITS["op_id"], required=True)}).first()
        if created is None:
            raise NotFound(MISSING["card"], code="unknown_card")
        card_id = created.payload["card"]["id"]
    else:
        card_id = v.integer(op, "id", minimum=1)
        if card_id == ctx.card_asked:  # read under the session lock
            found = ctx.card_row
            if found.card_id is None:
                raise NotFound(MISSING["card"], code="unknown_card")
            return SimpleNamespace(id=found.card_id, phase_id=found.card_phase_id, lane_id=found.card_lane_id,
                                   author_participant_id=found.card_author_participant_id)
    row = _CARD_ROW.first(ctx.conn, {"id": card_id, "sid": ctx.session_id})
    if row is None:
        raise NotFound(MISSING["card"], code="unknown_card")
    return row


def _check_card_owner(ctx: Context, card) -> None:
    if ctx.actor.is_facilitator or ctx.edit_policy != "own":
        return
    if not (ctx.actor.kind == "participant" and card.author_participant_id == ctx.actor.id):
        raise Forbidden(N_("You may only change your own cards in this session."), code="not_owner")


# ---------------------------------------------------------------------------
# positions


def _position_for(positions: list[float], index: int | None) -> float | None:
    """Fractional position to insert at ``index`` among sorted ``positions``.

    Returns None when the neighbours are too close and the caller must renumber.
    """
    if not positions:
        return 1.0
    if index is None or index >= len(positions):
        return positions[-1] + 1.0
    if index <= 0:
        return positions[0] - 1.0
    before, after = positions[index - 1], positions[index]
    if after - before < MIN_GAP:
        return None
    return (before + after) / 2


def _place(items: list, index: int | None) -> tuple[float, dict[int, float]]:
    """Position for a new or moved item among ``items`` (sorted, without it).

    When the gap is exhausted the siblings are renumbered 1, 2, 3 … and the
    new positions are returned so that clients can apply them too.
    """
    pos = _position_for([i.position for i in items], index)
    if pos is not None:
        return pos, {}
    renumbered = {}
    idx = min(max(index or 0, 0), len(items))
    for n, item in enumerate(items, start=1):
        item.position = float(n if n <= idx else n + 1)
        renumbered[item.id] = item.position
    return float(idx + 1), renumbered


@dataclass
class _Slot:
    """A card's place in its cell: only what placement needs, not the whole row."""

    id: int
    position: float


_CELL_SLOTS = (select(_CARDS.c.id, _CARDS.c.position)
               .where(_CARDS.c.session_id == bindparam("sid"), _CARDS.c.phase_id == bindparam("phase_id"),
                      _CARDS.c.lane_id == bindparam("lane_id"), _CARDS.c.id != bindparam("exclude"))
               .order_by(_CARDS.c.position, _CARDS.c.id))
_SET_POSITION = update(_CARDS).where(_CARDS.c.id == bindparam("card_id")).values(position=bindparam("pos"))
_INSERT_CARD_KEYS = ("session_id", "phase_id", "lane_id", "position", "title", "statement", "channels",
                     "library_entry_id", "author_participant_id", "author_facilitator_id", "author_name", "votes",
                     "created_at", "updated_at")
_INSERT_CARD = Prepared(insert(_CARDS).values({k: bindparam(k, type_=_CARDS.c[k].type) for k in _INSERT_CARD_KEYS})
                        .returning(_CARDS.c.id))
_DELETE_CARD = Prepared(delete(_CARDS).where(_CARDS.c.id == bindparam("card_id")))


def _changed_behind_orm(ctx: Context, card_ids, *, deleted: bool = False, model=Card) -> None:
    """Rows (cards, unless ``model`` says otherwise) changed by Core statements: an ORM copy held
    by the caller reloads (or is dropped)."""
    identity_map = ctx.db.identity_map
    if not identity_map:
        return
    for card_id in card_ids:
        obj = identity_map.get(Session.identity_key(model, card_id))
        if obj is not None:
            ctx.db.expunge(obj) if deleted else ctx.db.expire(obj)


# The same slots, and in the same round trip whether the phase and the lane belong to the session
# (one row with a NULL card when the cell is empty).
_CHECKED_CELL_SLOTS = Prepared(
    select(_CELL.selected_columns.phase_id, _CELL.selected_columns.lane_id, _CARDS.c.id, _CARDS.c.position)
    .select_from(_ONE.outerjoin(_CARDS, and_(
        _CARDS.c.session_id == bindparam("sid"), _CARDS.c.phase_id == bindparam("phase_id"),
        _CARDS.c.lane_id == bindparam("lane_id"), _CARDS.c.id != bindparam("exclude"))))
    .order_by(_CARDS.c.position, _CARDS.c.id))


def _checked_cell_slots(ctx: Context, phase_id: int, lane_id: int, exclude: int | None = None) -> list[_Slot]:
    """The cards of a cell in order, after checking that its phase and lane belong to this session."""
    rows = _CHECKED_CELL_SLOTS.rows(ctx.conn, {"sid": ctx.session_id, "phase_id": phase_id,
                                               "lane_id": lane_id, "exclude": exclude or 0})
    if rows[0].phase_id is None:
        raise NotFound(MISSING["phase"], code="unknown_phase")
    if rows[0].lane_id is None:
        raise NotFound(MISSING["lane"], code="unknown_lane")
    return [_Slot(r.id, r.position) for r in rows if r.id is not None]


def _place_in_cell(ctx: Context, phase_id: int, lane_id: int, index: int | None,
                   exclude: int | None = None, slots: list[_Slot] | None = None) -> tuple[float, dict[int, float]]:
    if slots is None:
        rows = ctx.conn.execute(_CELL_SLOTS, {"sid": ctx.session_id, "phase_id": phase_id, "lane_id": lane_id,
                                              "exclude": exclude or 0})
        slots = [_Slot(i, p) for i, p in rows]
    position, renumbered = _place(slots, index)
    if renumbered:
        ctx.conn.execute(_SET_POSITION, [{"card_id": cid, "pos": pos} for cid, pos in renumbered.items()])
        _changed_behind_orm(ctx, renumbered)
    return position, renumbered


# ---------------------------------------------------------------------------
# cards
#
# Card operations are most of a workshop's traffic: they run as Core statements
# on the session's connection, without loading ORM objects.


@operation("card.add")
def card_add(ctx: Context, op: dict) -> dict:
    phase_id = v.integer(op, "phase_id", minimum=1)
    lane_id = v.integer(op, "lane_id", minimum=1)
    slots = _checked_cell_slots(ctx, phase_id, lane_id)
    entry_id = v.integer(op, "library_entry_id", required=False, minimum=1)
    entry = None
    if entry_id is not None:
        entry = ctx.db.get(LibraryEntry, entry_id)
        if entry is None or not entry.visible_to(ctx.row.facilitator_id):
            raise NotFound(N_("This library entry does not exist."), code="unknown_library_entry")
    title = v.text(op, "title", v.LIMITS["title"], required=entry is None)
    statement = v.text(op, "statement", v.LIMITS["statement"], default=None)
    channels = v.channel_list(op, "channels", ctx.known_channels)
    if entry is not None:  # what the client left out comes from the entry, as this board's formula prints it
        preset = card_text(entry, ctx.row.formula_id)
        title = title or preset["title"][: v.LIMITS["title"]]
        if statement is None:
            statement = preset["statement"][: v.LIMITS["statement"]]
        if channels is None:
            channels = [c for c in preset["channels"] if c in ctx.known_channels]
    index = v.integer(op, "index", required=False)
    position, renumbered = _place_in_cell(ctx, phase_id, lane_id, index, slots=slots)
    now = utcnow()
    values = dict(
        session_id=ctx.session_id, phase_id=phase_id, lane_id=lane_id, position=position, title=title,
        statement=statement or "", channels=channels or [], library_entry_id=entry.id if entry else None,
        author_participant_id=ctx.actor.id if ctx.actor.kind == "participant" else None,
        author_facilitator_id=ctx.actor.id if ctx.actor.kind == "facilitator" else None,
        author_name=ctx.actor.name[: v.LIMITS["author_name"]], votes=0, created_at=now, updated_at=now,
    )
    card_id = _INSERT_CARD.first(ctx.conn, values).id
    card = SimpleNamespace(id=card_id, **values)
    return {"card": card_dict(card), "renumbered": renumbered}  # names are taken out when sent (redact.py)


@operation("card.update")
def card_update(ctx: Context, op: dict) -> dict:
    card = _card(ctx, op)
    _check_card_owner(ctx, card)
    changes = {}
    title = v.text(op, "title", v.LIMITS["title"], default=None)
    if "title" in op:
        if not title:
            raise ValidationError(N_("The field “%(name)s” may not be empty."), code="empty", field="title",
                                  name="title")
        changes["title"] = title
    statement = v.text(op, "statement", v.LIMITS["statement"], default=None)
    if "statement" in op:
        changes["statement"] = statement or ""
    channels = v.channel_list(op, "channels", ctx.known_channels)
    if channels is not None:
        changes["channels"] = channels
    if not changes:
        raise ValidationError(N_("Nothing to change: give a title, statement or channels."),
                              code="missing_field")
    # last writer wins per field: only the fields named in this operation change
    now = utcnow()
    _update_in_session(ctx, _CARDS, card.id, {**changes, "updated_at": now}, "card")
    _changed_behind_orm(ctx, [card.id])
    return {"id": card.id, "changes": changes, "updated_at": iso(now)}


@operation("card.move")
def card_move(ctx: Context, op: dict) -> dict:
    card = _card(ctx, op)
    _check_card_owner(ctx, card)
    phase_id = v.integer(op, "phase_id", required=False, minimum=1, default=card.phase_id)
    lane_id = v.integer(op, "lane_id", required=False, minimum=1, default=card.lane_id)
    slots = None
    if (phase_id, lane_id) != (card.phase_id, card.lane_id):
        slots = _checked_cell_slots(ctx, phase_id, lane_id, exclude=card.id)
    index = v.integer(op, "index", required=False)
    position, renumbered = _place_in_cell(ctx, phase_id, lane_id, index, exclude=card.id, slots=slots)
    _MOVE_CARD.execute(ctx.conn, {"card_id": card.id, "phase": phase_id, "lane": lane_id, "pos": position,
                                  "now": utcnow()})
    _changed_behind_orm(ctx, [card.id])
    return {"id": card.id, "phase_id": phase_id, "lane_id": lane_id, "position": position,
            "renumbered": renumbered}


_MOVE_CARD = Prepared(update(_CARDS).where(_CARDS.c.id == bindparam("card_id")).values(
    phase_id=bindparam("phase"), lane_id=bindparam("lane"), position=bindparam("pos"),
    updated_at=bindparam("now", type_=_CARDS.c.updated_at.type)))


@operation("card.delete")
def card_delete(ctx: Context, op: dict) -> dict:
    card = _card(ctx, op)
    _check_card_owner(ctx, card)
    _DELETE_CARD.execute(ctx.conn, {"card_id": card.id})  # its votes go with it (ON DELETE CASCADE)
    _changed_behind_orm(ctx, [card.id], deleted=True)
    return {"id": card.id}


# ---------------------------------------------------------------------------
# phases


def _siblings(ctx: Context, model, exclude: int | None = None) -> list:
    """The session's phases or lanes in board order (without ``exclude``)."""
    q = select(model).where(model.session_id == ctx.session_id)
    if exclude is not None:
        q = q.where(model.id != exclude)
    return list(ctx.db.scalars(q.order_by(model.position, model.id)))


def _move(ctx: Context, op: dict, model, what: str) -> dict:
    """phase.move and lane.move: to ``index`` among the others."""
    row = _get_in_session(ctx, model, v.integer(op, "id", minimum=1), what)
    position, renumbered = _place(_siblings(ctx, model, exclude=row.id), v.integer(op, "index"))
    row.position = position
    return {"id": row.id, "position": position, "renumbered": renumbered}


def _delete_with_cards(ctx: Context, op: dict, model, card_column, what: str) -> dict:
    """phase.delete and lane.delete: the row and every card in it."""
    row = _get_in_session(ctx, model, v.integer(op, "id", minimum=1), what)
    card_ids = list(ctx.db.scalars(select(Card.id).where(card_column == row.id)))
    ctx.db.execute(delete(Card).where(card_column == row.id))
    ctx.db.delete(row)
    return {"id": row.id, "card_ids": card_ids}


@operation("phase.add")
def phase_add(ctx: Context, op: dict) -> dict:
    desired = v.text(op, "desired_name", v.LIMITS["phase_name"], required=True)
    current = v.text(op, "current_name", v.LIMITS["phase_name"], default=None, nullable=True)
    statement = v.text(op, "statement", v.LIMITS["phase_statement"], default="")
    siblings = _siblings(ctx, Phase)
    if len(siblings) >= v.MAX_PHASES:
        raise Conflict(N_("A board has at most %(max)d phases."), code="too_many", max=v.MAX_PHASES)
    position, renumbered = _place(siblings, v.integer(op, "index", required=False))
    phase = Phase(session_id=ctx.session_id, position=position, desired_name=desired,
                  current_name=current or None, statement=statement)
    ctx.db.add(phase)
    ctx.db.flush()
    return {"phase": phase_dict(phase), "renumbered": renumbered}


@operation("phase.update")
def phase_update(ctx: Context, op: dict) -> dict:
    phase_id = v.integer(op, "id", minimum=1)
    changes = {}
    if "desired_name" in op:
        changes["desired_name"] = v.text(op, "desired_name", v.LIMITS["phase_name"], required=True)
    if "current_name" in op:
        changes["current_name"] = v.text(op, "current_name", v.LIMITS["phase_name"], nullable=True) or None
    if "statement" in op:
        changes["statement"] = v.text(op, "statement", v.LIMITS["phase_statement"], default="") or ""
    if not changes:
        raise ValidationError(N_("Nothing to change: give a name or statement."), code="missing_field")
    # one Core UPDATE, checked by its row count (the ORM's get and flush cost ten card.adds)
    _update_in_session(ctx, _PHASES, phase_id, changes, "phase")
    _changed_behind_orm(ctx, [phase_id], model=Phase)
    return {"id": phase_id, "changes": changes}


@operation("phase.move")
def phase_move(ctx: Context, op: dict) -> dict:
    return _move(ctx, op, Phase, "phase")


@operation("phase.delete", facilitator_only=True)
def phase_delete(ctx: Context, op: dict) -> dict:
    return _delete_with_cards(ctx, op, Phase, Card.phase_id, "phase")


# ---------------------------------------------------------------------------
# lanes


@operation("lane.add")
def lane_add(ctx: Context, op: dict) -> dict:
    name = v.text(op, "name", v.LIMITS["lane_name"], required=True)
    kind = v.choice(op, "kind", [k.value for k in LaneKind], default=LaneKind.custom.value)
    siblings = _siblings(ctx, Lane)
    if len(siblings) >= v.MAX_LANES:
        raise Conflict(N_("A board has at most %(max)d lanes."), code="too_many", max=v.MAX_LANES)
    position, renumbered = _place(siblings, v.integer(op, "index", required=False))
    lane = Lane(session_id=ctx.session_id, name=name, kind=kind, position=position)
    ctx.db.add(lane)
    ctx.db.flush()
    return {"lane": lane_dict(lane), "renumbered": renumbered}


@operation("lane.update")
def lane_update(ctx: Context, op: dict) -> dict:
    lane_id = v.integer(op, "id", minimum=1)
    name = v.text(op, "name", v.LIMITS["lane_name"], required=True)
    _update_in_session(ctx, _LANES, lane_id, {"name": name}, "lane")
    _changed_behind_orm(ctx, [lane_id], model=Lane)
    return {"id": lane_id, "changes": {"name": name}}


@operation("lane.move")
def lane_move(ctx: Context, op: dict) -> dict:
    return _move(ctx, op, Lane, "lane")


@operation("lane.delete", facilitator_only=True)
def lane_delete(ctx: Context, op: dict) -> dict:
    return _delete_with_cards(ctx, op, Lane, Card.lane_id, "lane")


__all__ = ["BoardError", "OpResult", "REFUSED_BEFORE_WRITING", "apply_operation", "operation", "HANDLERS"]
