"""Board operations: validate → check permission → apply → log event → flush.

Every change to a board's phases, lanes and cards goes through
``apply_operation``, whether it arrives over HTTP or a websocket. Handlers
return the event payload that every client applies to its local copy.
The caller commits, then publishes ``result.event``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import BoardEvent, Card, Channel, Lane, LaneKind, LibraryEntry, Phase, SessionStatus, WorkshopSession
from . import validate as v
from .actor import Actor
from .errors import N_, BoardError, Conflict, Forbidden, NotFound, ValidationError
from .serialize import card_dict, lane_dict, phase_dict

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

    @property
    def event(self) -> dict:
        """The frame every client of the session receives."""
        return {"type": "event", "seq": self.seq, "event": self.type, "data": self.payload,
                "op_id": self.op_id, "actor": self.actor}


@dataclass
class Context:
    db: Session
    ws: WorkshopSession
    actor: Actor
    _channels: set[str] | None = None

    @property
    def known_channels(self) -> set[str]:
        if self._channels is None:
            self._channels = _channel_slugs(self.db)
        return self._channels

    @property
    def anonymous(self) -> bool:
        return self.ws.anonymous


# The channel list changes only when the seed is loaded; a short per-process
# cache saves a query on most card operations.
_CHANNELS: dict[int, tuple[float, frozenset]] = {}
CHANNEL_CACHE_SECONDS = 30.0


def _channel_slugs(db: Session) -> frozenset:
    key = id(db.get_bind())
    now = time.monotonic()
    hit = _CHANNELS.get(key)
    if hit is None or now - hit[0] > CHANNEL_CACHE_SECONDS:
        hit = (now, frozenset(db.scalars(select(Channel.slug))))
        _CHANNELS[key] = hit
    return hit[1]


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


def _operation_types() -> tuple[str, ...]:
    return tuple(sorted(HANDLERS))


# ---------------------------------------------------------------------------
# entry point


def apply_operation(db: Session, ws: WorkshopSession | int, actor: Actor, op) -> OpResult:
    """Apply one client operation to a session's board. Raises ``BoardError``."""
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
    # Lock the session row: on PostgreSQL this serialises writers of one
    # session (sequence numbers without gaps); SQLite's BEGIN IMMEDIATE already does.
    ws = db.scalars(select(WorkshopSession).where(WorkshopSession.id == session_id)
                    .with_for_update().execution_options(populate_existing=True)).one_or_none()
    if ws is None:
        raise NotFound(N_("This session does not exist."))

    if op_id is not None:
        seen = db.scalars(select(BoardEvent).where(BoardEvent.session_id == ws.id,
                                                   BoardEvent.op_id == op_id)).one_or_none()
        if seen is not None:
            return OpResult(seen.seq, seen.type, seen.payload, op_id, seen.actor, duplicate=True)

    if not actor.is_facilitator:
        if handler.facilitator_only:
            raise Forbidden(N_("Only the facilitator can do this."))
        if ws.status == SessionStatus.closed.value:
            raise Forbidden(N_("This session is closed; the board can no longer be changed."), code="closed")
        if ws.locked and not handler.while_locked:
            raise Forbidden(N_("The facilitator has locked the board."), code="locked")

    ctx = Context(db, ws, actor)
    payload = handler.fn(ctx, op)

    ws.seq = (ws.seq or 0) + 1
    ws.updated_at = utcnow()
    db.add(BoardEvent(session_id=ws.id, seq=ws.seq, op_id=op_id, type=op_type, payload=payload,
                      actor=actor.tag))
    db.flush()
    return OpResult(ws.seq, op_type, payload, op_id, actor.tag)


# ---------------------------------------------------------------------------
# lookups


MISSING = {
    "card": N_("This card does not exist (any more): someone may have deleted it."),
    "phase": N_("This phase does not exist (any more)."),
    "lane": N_("This lane does not exist (any more)."),
}


def _get_in_session(ctx: Context, model, obj_id: int, what: str):
    obj = ctx.db.get(model, obj_id)
    if obj is None or obj.session_id != ctx.ws.id:
        # another session's object is reported as missing: its existence is not leaked
        raise NotFound(MISSING.get(what, N_("This item does not exist (any more).")), code=f"unknown_{what}")
    return obj


def _card(ctx: Context, op: dict) -> Card:
    card = _get_in_session(ctx, Card, v.integer(op, "id", minimum=1), "card")
    return card


def _check_card_owner(ctx: Context, card: Card) -> None:
    if ctx.actor.is_facilitator or ctx.ws.edit_policy != "own":
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


def _place_in_cell(ctx: Context, phase_id: int, lane_id: int, index: int | None,
                   exclude: int | None = None) -> tuple[float, dict[int, float]]:
    q = select(Card.id, Card.position).where(Card.session_id == ctx.ws.id, Card.phase_id == phase_id,
                                             Card.lane_id == lane_id)
    if exclude is not None:
        q = q.where(Card.id != exclude)
    slots = [_Slot(i, p) for i, p in ctx.db.execute(q.order_by(Card.position, Card.id))]
    position, renumbered = _place(slots, index)
    for card_id, pos in renumbered.items():
        ctx.db.execute(update(Card).where(Card.id == card_id).values(position=pos))
    return position, renumbered


# ---------------------------------------------------------------------------
# cards


@operation("card.add")
def card_add(ctx: Context, op: dict) -> dict:
    phase = _get_in_session(ctx, Phase, v.integer(op, "phase_id", minimum=1), "phase")
    lane = _get_in_session(ctx, Lane, v.integer(op, "lane_id", minimum=1), "lane")
    entry_id = v.integer(op, "library_entry_id", required=False, minimum=1)
    entry = None
    if entry_id is not None:
        entry = ctx.db.get(LibraryEntry, entry_id)
        if entry is None or (entry.origin != "vng" and entry.owner_id != ctx.ws.facilitator_id):
            raise NotFound(N_("This library entry does not exist."), code="unknown_library_entry")
    title = v.text(op, "title", v.LIMITS["title"], required=entry is None)
    statement = v.text(op, "statement", v.LIMITS["statement"], default=None)
    channels = v.channel_list(op, "channels", ctx.known_channels)
    if entry is not None:
        title = title or entry.name[: v.LIMITS["title"]]
        if statement is None:
            statement = (entry.statements[0] if entry.statements else "")[: v.LIMITS["statement"]]
        if channels is None:
            channels = [c for c in entry.channels if c in ctx.known_channels]
    index = v.integer(op, "index", required=False)
    position, renumbered = _place_in_cell(ctx, phase.id, lane.id, index)
    now = utcnow()
    card = Card(
        session_id=ctx.ws.id, phase_id=phase.id, lane_id=lane.id, position=position, title=title,
        statement=statement or "", channels=channels or [], library_entry_id=entry.id if entry else None,
        author_participant_id=ctx.actor.id if ctx.actor.kind == "participant" else None,
        author_facilitator_id=ctx.actor.id if ctx.actor.kind == "facilitator" else None,
        author_name=ctx.actor.name[: v.LIMITS["author_name"]], created_at=now, updated_at=now,
    )
    ctx.db.add(card)
    ctx.db.flush()
    return {"card": card_dict(card, anonymous=ctx.anonymous), "renumbered": renumbered}


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
    for key, value in changes.items():
        setattr(card, key, value)
    card.updated_at = utcnow()
    return {"id": card.id, "changes": changes, "updated_at": card_dict(card)["updated_at"]}


@operation("card.move")
def card_move(ctx: Context, op: dict) -> dict:
    card = _card(ctx, op)
    _check_card_owner(ctx, card)
    phase_id = v.integer(op, "phase_id", required=False, minimum=1, default=card.phase_id)
    lane_id = v.integer(op, "lane_id", required=False, minimum=1, default=card.lane_id)
    if phase_id != card.phase_id:
        _get_in_session(ctx, Phase, phase_id, "phase")
    if lane_id != card.lane_id:
        _get_in_session(ctx, Lane, lane_id, "lane")
    index = v.integer(op, "index", required=False)
    position, renumbered = _place_in_cell(ctx, phase_id, lane_id, index, exclude=card.id)
    card.phase_id, card.lane_id, card.position = phase_id, lane_id, position
    card.updated_at = utcnow()
    return {"id": card.id, "phase_id": phase_id, "lane_id": lane_id, "position": position,
            "renumbered": renumbered}


@operation("card.delete")
def card_delete(ctx: Context, op: dict) -> dict:
    card = _card(ctx, op)
    if not ctx.actor.is_facilitator and ctx.ws.edit_policy == "own":
        _check_card_owner(ctx, card)
    ctx.db.delete(card)
    return {"id": card.id}


# ---------------------------------------------------------------------------
# phases


def _phases(ctx: Context, exclude: int | None = None) -> list[Phase]:
    q = select(Phase).where(Phase.session_id == ctx.ws.id)
    if exclude is not None:
        q = q.where(Phase.id != exclude)
    return list(ctx.db.scalars(q.order_by(Phase.position, Phase.id)))


MAX_PHASES = 40
MAX_LANES = 12


@operation("phase.add")
def phase_add(ctx: Context, op: dict) -> dict:
    desired = v.text(op, "desired_name", v.LIMITS["phase_name"], required=True)
    current = v.text(op, "current_name", v.LIMITS["phase_name"], default=None, nullable=True)
    statement = v.text(op, "statement", v.LIMITS["phase_statement"], default="")
    siblings = _phases(ctx)
    if len(siblings) >= MAX_PHASES:
        raise Conflict(N_("A board has at most %(max)d phases."), code="too_many", max=MAX_PHASES)
    position, renumbered = _place(siblings, v.integer(op, "index", required=False))
    phase = Phase(session_id=ctx.ws.id, position=position, desired_name=desired,
                  current_name=current or None, statement=statement)
    ctx.db.add(phase)
    ctx.db.flush()
    return {"phase": phase_dict(phase), "renumbered": renumbered}


@operation("phase.update")
def phase_update(ctx: Context, op: dict) -> dict:
    phase = _get_in_session(ctx, Phase, v.integer(op, "id", minimum=1), "phase")
    changes = {}
    if "desired_name" in op:
        changes["desired_name"] = v.text(op, "desired_name", v.LIMITS["phase_name"], required=True)
    if "current_name" in op:
        changes["current_name"] = v.text(op, "current_name", v.LIMITS["phase_name"], nullable=True) or None
    if "statement" in op:
        changes["statement"] = v.text(op, "statement", v.LIMITS["phase_statement"], default="") or ""
    if not changes:
        raise ValidationError(N_("Nothing to change: give a name or statement."), code="missing_field")
    for key, value in changes.items():
        setattr(phase, key, value)
    return {"id": phase.id, "changes": changes}


@operation("phase.move")
def phase_move(ctx: Context, op: dict) -> dict:
    phase = _get_in_session(ctx, Phase, v.integer(op, "id", minimum=1), "phase")
    position, renumbered = _place(_phases(ctx, exclude=phase.id), v.integer(op, "index"))
    phase.position = position
    return {"id": phase.id, "position": position, "renumbered": renumbered}


@operation("phase.delete", facilitator_only=True)
def phase_delete(ctx: Context, op: dict) -> dict:
    phase = _get_in_session(ctx, Phase, v.integer(op, "id", minimum=1), "phase")
    card_ids = list(ctx.db.scalars(select(Card.id).where(Card.phase_id == phase.id)))
    ctx.db.execute(delete(Card).where(Card.phase_id == phase.id))
    ctx.db.delete(phase)
    return {"id": phase.id, "card_ids": card_ids}


# ---------------------------------------------------------------------------
# lanes


def _lanes(ctx: Context, exclude: int | None = None) -> list[Lane]:
    q = select(Lane).where(Lane.session_id == ctx.ws.id)
    if exclude is not None:
        q = q.where(Lane.id != exclude)
    return list(ctx.db.scalars(q.order_by(Lane.position, Lane.id)))


@operation("lane.add")
def lane_add(ctx: Context, op: dict) -> dict:
    name = v.text(op, "name", v.LIMITS["lane_name"], required=True)
    kind = v.choice(op, "kind", [k.value for k in LaneKind], default=LaneKind.custom.value)
    siblings = _lanes(ctx)
    if len(siblings) >= MAX_LANES:
        raise Conflict(N_("A board has at most %(max)d lanes."), code="too_many", max=MAX_LANES)
    position, renumbered = _place(siblings, v.integer(op, "index", required=False))
    lane = Lane(session_id=ctx.ws.id, name=name, kind=kind, position=position)
    ctx.db.add(lane)
    ctx.db.flush()
    return {"lane": lane_dict(lane), "renumbered": renumbered}


@operation("lane.update")
def lane_update(ctx: Context, op: dict) -> dict:
    lane = _get_in_session(ctx, Lane, v.integer(op, "id", minimum=1), "lane")
    lane.name = v.text(op, "name", v.LIMITS["lane_name"], required=True)
    return {"id": lane.id, "changes": {"name": lane.name}}


@operation("lane.move")
def lane_move(ctx: Context, op: dict) -> dict:
    lane = _get_in_session(ctx, Lane, v.integer(op, "id", minimum=1), "lane")
    position, renumbered = _place(_lanes(ctx, exclude=lane.id), v.integer(op, "index"))
    lane.position = position
    return {"id": lane.id, "position": position, "renumbered": renumbered}


@operation("lane.delete", facilitator_only=True)
def lane_delete(ctx: Context, op: dict) -> dict:
    lane = _get_in_session(ctx, Lane, v.integer(op, "id", minimum=1), "lane")
    card_ids = list(ctx.db.scalars(select(Card.id).where(Card.lane_id == lane.id)))
    ctx.db.execute(delete(Card).where(Card.lane_id == lane.id))
    ctx.db.delete(lane)
    return {"id": lane.id, "card_ids": card_ids}


OPERATION_TYPES = _operation_types()


def card_count(db: Session, session_id: int) -> int:
    return db.scalar(select(func.count(Card.id)).where(Card.session_id == session_id)) or 0


__all__ = ["BoardError", "OPERATION_TYPES", "OpResult", "apply_operation", "operation", "HANDLERS"]
