"""Facilitation operations: board settings, agenda and timer, dot voting,
participants, the formula plate, promoting a card to the library.

They register with the same ``@operation`` decorator as the card operations,
so they travel over HTTP and the websocket alike, get sequence numbers and are
logged. Every event payload here is broadcast to *everyone* in the session:
nothing secret (hidden vote counts, names in anonymous mode) may be in it.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, update

from ..db import utcnow
from ..models import (AgendaRound, Card, Lane, LibraryEntry, Participant, Phase, PlateItem, Vote, VoteRound,
                      WorkshopSession)
from . import validate as v
from .actor import Actor
from .errors import N_, Conflict, Forbidden, NotFound, ValidationError
from .operations import Context, _get_in_session, _place, operation
from .serialize import plate_item_dict

MAX_EXTEND_SECONDS = 3 * 3600
MAX_VOTES = 50
MAX_PERSONAS = 20


def iso_ms(dt: datetime | None) -> str | None:
    """UTC instant with milliseconds: clients compute the countdown from it."""
    return dt.isoformat(timespec="milliseconds") + "Z" if dt else None


# ---------------------------------------------------------------------------
# board settings


def settings_dict(ws: WorkshopSession) -> dict:
    return {"locked": ws.locked, "anonymous": ws.anonymous, "edit_policy": ws.edit_policy,
            "focus_phase_id": ws.focus_phase_id, "focus_lane_id": ws.focus_lane_id}


@operation("session.settings", facilitator_only=True)
def session_settings(ctx: Context, op: dict) -> dict:
    ws = ctx.ws
    changed = set()
    values = {"locked": v.boolean(op, "locked"), "anonymous": v.boolean(op, "anonymous"),
              "edit_policy": v.choice(op, "edit_policy", ("all", "own"))}
    for field, value in values.items():
        if value is not None:
            setattr(ws, field, value)
            changed.add(field)
    for field, model, what in (("focus_phase_id", Phase, "phase"), ("focus_lane_id", Lane, "lane")):
        if field in op:  # null clears the focus
            obj_id = v.integer(op, field, required=False, minimum=1)
            if obj_id is not None:
                _get_in_session(ctx, model, obj_id, what)
            setattr(ws, field, obj_id)
            changed.add(field)
    if not changed:
        raise ValidationError(N_("Nothing to change."), code="missing_field")
    payload = {"settings": settings_dict(ws), "changed": sorted(changed)}
    if "anonymous" in changed and not ws.anonymous:
        # names come back: everyone may see them again
        payload["authors"] = {str(c.id): [c.author_name or None, c.author_participant_id]
                              for c in ctx.db.scalars(select(Card).where(Card.session_id == ws.id))}
        payload["participants"] = [{"id": p.id, "name": p.display_name} for p in _participants(ctx)]
    return payload


# ---------------------------------------------------------------------------
# agenda and timer


def agenda_rounds(db, session_id: int) -> list[AgendaRound]:
    return list(db.scalars(select(AgendaRound).where(AgendaRound.session_id == session_id)
                           .order_by(AgendaRound.position, AgendaRound.id)))


def round_dict(r: AgendaRound) -> dict:
    return {"id": r.id, "position": r.position, "name": r.name, "duration_seconds": r.duration_seconds,
            "instructions": r.instructions or "", "focus_lane_kind": r.focus_lane_kind,
            "focus_phase_id": r.focus_phase_id, "status": r.status}


def current_round(rounds: list[AgendaRound]) -> AgendaRound | None:
    """The round on the clock (running or paused), else the next one to start."""
    for r in rounds:
        if r.status in ("running", "paused"):
            return r
    for r in rounds:
        if r.status == "pending":
            return r
    return None


def remaining_seconds(r: AgendaRound, now: datetime) -> int:
    """Whole seconds left on the clock (negative: overrun)."""
    if r.status == "running" and r.ends_at is not None:
        return math.ceil((r.ends_at - now).total_seconds())
    if r.status == "paused":
        return r.remaining_seconds or 0
    if r.status == "pending":
        return r.duration_seconds
    return 0


def timer_dict(rounds: list[AgendaRound], now: datetime) -> dict:
    r = current_round(rounds)
    out = {"now": iso_ms(now), "round_id": None, "status": "idle", "name": "", "instructions": "",
           "duration_seconds": 0, "started_at": None, "ends_at": None, "remaining_seconds": 0}
    if r is None:
        if rounds:
            out["status"] = "finished"
        return out
    out.update(round_id=r.id, status=r.status, name=r.name, instructions=r.instructions or "",
               duration_seconds=r.duration_seconds, started_at=iso_ms(r.started_at),
               ends_at=iso_ms(r.ends_at) if r.status == "running" else None,
               remaining_seconds=remaining_seconds(r, now))
    return out


def agenda_state(db, session_id: int, now: datetime | None = None,
                 rounds: list[AgendaRound] | None = None) -> dict:
    now = now or utcnow()
    rounds = agenda_rounds(db, session_id) if rounds is None else rounds
    return {"agenda": [round_dict(r) for r in rounds], "timer": timer_dict(rounds, now)}


def _agenda_payload(ctx: Context, now: datetime, rounds: list[AgendaRound] | None = None, **extra) -> dict:
    """The agenda and timer after a change; ``rounds`` when the caller holds them (same rows, same order)."""
    ctx.db.flush()
    payload = agenda_state(ctx.db, ctx.session_id, now, rounds)
    payload.update(extra)
    return payload


def _focus_for_round(ctx: Context, r: AgendaRound) -> bool:
    """Bring everyone to the round's lane/phase; returns whether settings changed."""
    lane_id = None
    if r.focus_lane_kind:
        lane_id = ctx.db.scalar(select(Lane.id).where(Lane.session_id == ctx.session_id, Lane.kind == r.focus_lane_kind)
                                .order_by(Lane.position, Lane.id).limit(1))
    phase_id = r.focus_phase_id if r.focus_phase_id and ctx.db.get(Phase, r.focus_phase_id) else None
    changed = (ctx.ws.focus_lane_id, ctx.ws.focus_phase_id) != (lane_id, phase_id)
    ctx.ws.focus_lane_id, ctx.ws.focus_phase_id = lane_id, phase_id
    return changed


def _round_by_id(ctx: Context, rounds: list[AgendaRound], op: dict, key: str = "round_id") -> AgendaRound | None:
    rid = v.integer(op, key, required=False, minimum=1)
    if rid is None:
        return None
    for r in rounds:
        if r.id == rid:
            return r
    raise NotFound(N_("This round does not exist (any more)."), code="unknown_round")


def _start(ctx: Context, rounds: list[AgendaRound], r: AgendaRound, now: datetime, op: dict) -> dict:
    for other in rounds:
        if other is not r and other.status in ("running", "paused"):
            _finish(other, now)
    duration = v.integer(op, "duration_seconds", required=False, minimum=5, maximum=v.MAX_ROUND_SECONDS)
    if duration is not None:
        r.duration_seconds = duration
    resuming = r.status == "paused" and duration is None
    seconds = (r.remaining_seconds or 0) if resuming else r.duration_seconds
    if not resuming:
        r.started_at = now
    r.status = "running"
    r.ends_at = now + timedelta(seconds=seconds)
    r.remaining_seconds = None
    extra = {}
    if _focus_for_round(ctx, r):
        extra["settings"] = settings_dict(ctx.ws)
    return extra


def _finish(r: AgendaRound, now: datetime) -> None:
    if r.status == "running" and r.ends_at and r.ends_at > now:
        r.ends_at = now
    r.status = "done"
    r.remaining_seconds = None


@operation("agenda.set", facilitator_only=True, while_locked=True)
def agenda_set(ctx: Context, op: dict) -> dict:
    """Replace the agenda. Rounds that keep their ``id`` keep their clock."""
    items = op.get("rounds")
    if not isinstance(items, list) or len(items) > v.MAX_AGENDA or not all(isinstance(i, dict) for i in items):
        raise ValidationError(N_("The agenda must be a list of at most %(max)d rounds."), code="wrong_type",
                              field="rounds", max=v.MAX_AGENDA)
    existing = {r.id: r for r in agenda_rounds(ctx.db, ctx.session_id)}
    keep = set()
    for n, item in enumerate(items, 1):
        rid = v.integer(item, "id", required=False, minimum=1)
        name = v.text(item, "name", v.LIMITS["round_name"], required=True)
        duration = v.integer(item, "duration_seconds", minimum=10, maximum=v.MAX_ROUND_SECONDS)
        instructions = v.text(item, "instructions", v.LIMITS["round_instructions"], default="") or ""
        kind = v.choice(item, "focus_lane_kind", v.LANE_KINDS) if item.get("focus_lane_kind") else None
        if rid is not None and rid in existing:
            r = existing[rid]
            keep.add(rid)
        else:
            r = AgendaRound(session_id=ctx.session_id, status="pending")
            ctx.db.add(r)
        r.position, r.name, r.duration_seconds, r.instructions, r.focus_lane_kind = (
            n, name, duration, instructions, kind)
    for rid, r in existing.items():
        if rid not in keep:
            ctx.db.delete(r)
    return _agenda_payload(ctx, utcnow())


def _rounds_or_fail(ctx: Context) -> list[AgendaRound]:
    rounds = agenda_rounds(ctx.db, ctx.session_id)
    if not rounds:
        raise Conflict(N_("The agenda is empty: add a round first."), code="no_round")
    return rounds


def _on_clock(rounds: list[AgendaRound]) -> AgendaRound:
    r = current_round(rounds)
    if r is None or r.status not in ("running", "paused"):
        raise Conflict(N_("No round is running."), code="no_round")
    return r


@operation("timer.start", facilitator_only=True, while_locked=True)
def timer_start(ctx: Context, op: dict) -> dict:
    rounds = _rounds_or_fail(ctx)
    now = utcnow()
    r = _round_by_id(ctx, rounds, op) or current_round(rounds)
    if r is None:
        raise Conflict(N_("All rounds are done."), code="no_round")
    return _agenda_payload(ctx, now, rounds, **_start(ctx, rounds, r, now, op))


@operation("timer.pause", facilitator_only=True, while_locked=True)
def timer_pause(ctx: Context, op: dict) -> dict:
    rounds = _rounds_or_fail(ctx)
    r = _on_clock(rounds)
    now = utcnow()
    if r.status == "running":
        r.remaining_seconds = max(0, remaining_seconds(r, now))
        r.status, r.ends_at = "paused", None
    return _agenda_payload(ctx, now, rounds)


@operation("timer.resume", facilitator_only=True, while_locked=True)
def timer_resume(ctx: Context, op: dict) -> dict:
    rounds = _rounds_or_fail(ctx)
    r = _on_clock(rounds)
    now = utcnow()
    if r.status == "paused":
        r.status, r.ends_at = "running", now + timedelta(seconds=r.remaining_seconds or 0)
        r.remaining_seconds = None
    return _agenda_payload(ctx, now, rounds)


@operation("timer.extend", facilitator_only=True, while_locked=True)
def timer_extend(ctx: Context, op: dict) -> dict:
    seconds = v.integer(op, "seconds", minimum=1, maximum=MAX_EXTEND_SECONDS)
    rounds = _rounds_or_fail(ctx)
    r = _on_clock(rounds)
    now = utcnow()
    if r.status == "running":
        # after zero the extra time counts from now, not from the moment it ran out
        r.ends_at = max(r.ends_at or now, now) + timedelta(seconds=seconds)
    else:
        r.remaining_seconds = max(0, r.remaining_seconds or 0) + seconds
    r.duration_seconds = min(v.MAX_ROUND_SECONDS, r.duration_seconds + seconds)
    return _agenda_payload(ctx, now, rounds)


@operation("timer.end", facilitator_only=True, while_locked=True)
def timer_end(ctx: Context, op: dict) -> dict:
    rounds = _rounds_or_fail(ctx)
    r = _on_clock(rounds)
    now = utcnow()
    _finish(r, now)
    return _agenda_payload(ctx, now, rounds)


@operation("timer.next", facilitator_only=True, while_locked=True)
def timer_next(ctx: Context, op: dict) -> dict:
    """End the round on the clock (if any) and start the next pending one."""
    rounds = _rounds_or_fail(ctx)
    now = utcnow()
    r = current_round(rounds)
    if r is not None and r.status in ("running", "paused"):
        _finish(r, now)
    nxt = next((x for x in rounds if x.status == "pending"), None)
    if nxt is None:
        return _agenda_payload(ctx, now, rounds)
    return _agenda_payload(ctx, now, rounds, **_start(ctx, rounds, nxt, now, op))


# ---------------------------------------------------------------------------
# dot voting


def _active_vote(db, session_id: int) -> VoteRound | None:
    return db.scalars(select(VoteRound).where(VoteRound.session_id == session_id,
                                              VoteRound.status.in_(("open", "revealed")))
                      .order_by(VoteRound.id.desc()).limit(1)).one_or_none()


def latest_vote(db, session_id: int) -> VoteRound | None:
    """The newest open or revealed vote, else the newest vote (one query: every snapshot asks)."""
    active_first = case((VoteRound.status.in_(("open", "revealed")), 0), else_=1)
    return db.scalars(select(VoteRound).where(VoteRound.session_id == session_id)
                      .order_by(active_first, VoteRound.id.desc()).limit(1)).one_or_none()


def vote_counts(db, vote_round_id: int) -> dict[int, int]:
    rows = db.execute(select(Vote.card_id, func.sum(Vote.count)).where(Vote.vote_round_id == vote_round_id)
                      .group_by(Vote.card_id)).all()
    return {card_id: int(n) for card_id, n in rows if n}


def _totals(db, vr: VoteRound) -> dict:
    total, voters = db.execute(select(func.coalesce(func.sum(Vote.count), 0),
                                      func.count(func.distinct(Vote.participant_id)))
                               .where(Vote.vote_round_id == vr.id)).one()
    return {"total": int(total or 0), "voters": int(voters or 0)}


def vote_dict(db, vr: VoteRound | None, viewer: Actor | None = None) -> dict | None:
    """The vote as one viewer may see it: counts only once revealed; own votes always."""
    if vr is None:
        return None
    out = {"id": vr.id, "lane_id": vr.lane_id, "votes_per_participant": vr.votes_per_participant,
           "max_per_card": vr.max_per_card, "status": vr.status, **_totals(db, vr), "counts": None,
           "mine": {}}
    if vr.status in ("revealed", "closed"):
        out["counts"] = {str(k): n for k, n in vote_counts(db, vr.id).items()}
    if viewer is not None and viewer.kind == "participant":
        out["mine"] = own_votes(db, vr.id, viewer.id)
    return out


def own_votes(db, vote_round_id: int, participant_id: int) -> dict[str, int]:
    rows = db.execute(select(Vote.card_id, Vote.count).where(Vote.vote_round_id == vote_round_id,
                                                             Vote.participant_id == participant_id)).all()
    return {str(card_id): n for card_id, n in rows}


def _vote_or_fail(ctx: Context, *statuses: str) -> VoteRound:
    vr = _active_vote(ctx.db, ctx.session_id)
    if vr is None or vr.status not in statuses:
        if vr is not None and vr.status == "revealed" and "open" in statuses and len(statuses) == 1:
            raise Conflict(N_("The votes have been revealed; voting is over."), code="vote_revealed")
        raise Conflict(N_("There is no open vote."), code="no_vote")
    return vr


@operation("vote.open", facilitator_only=True, while_locked=True)
def vote_open(ctx: Context, op: dict) -> dict:
    if _active_vote(ctx.db, ctx.session_id) is not None:
        raise Conflict(N_("A vote is already running; close it first."), code="vote_running")
    lane = _get_in_session(ctx, Lane, v.integer(op, "lane_id", minimum=1), "lane")
    budget = v.integer(op, "votes_per_participant", required=False, default=3, minimum=1, maximum=MAX_VOTES)
    per_card = v.integer(op, "max_per_card", required=False, default=min(3, budget), minimum=1, maximum=MAX_VOTES)
    vr = VoteRound(session_id=ctx.session_id, lane_id=lane.id, votes_per_participant=budget,
                   max_per_card=min(per_card, budget), status="open", opened_at=utcnow())
    ctx.db.add(vr)
    ctx.db.flush()
    return {"vote": vote_dict(ctx.db, vr)}


def _voter(ctx: Context) -> int:
    if ctx.actor.kind != "participant":
        raise Forbidden(N_("Only participants vote."), code="not_participant")
    return ctx.actor.id


@operation("vote.cast", while_locked=True)
def vote_cast(ctx: Context, op: dict) -> dict:
    pid = _voter(ctx)
    vr = _vote_or_fail(ctx, "open")
    card = _get_in_session(ctx, Card, v.integer(op, "card_id", minimum=1), "card")
    if card.lane_id != vr.lane_id:
        raise ValidationError(N_("This card is not part of the vote."), code="not_in_vote")
    used = ctx.db.scalar(select(func.coalesce(func.sum(Vote.count), 0))
                         .where(Vote.vote_round_id == vr.id, Vote.participant_id == pid)) or 0
    if used >= vr.votes_per_participant:
        raise Conflict(N_("You have used all %(n)d of your votes. Take one back to vote again."),
                       code="no_votes_left", n=vr.votes_per_participant)
    vote = ctx.db.scalars(select(Vote).where(Vote.vote_round_id == vr.id, Vote.card_id == card.id,
                                             Vote.participant_id == pid)).one_or_none()
    if vote is not None and vote.count >= vr.max_per_card:
        raise Conflict(N_("At most %(n)d votes per card."), code="card_max", n=vr.max_per_card)
    if vote is None:
        ctx.db.add(Vote(vote_round_id=vr.id, card_id=card.id, participant_id=pid, count=1))
    else:
        vote.count += 1
    ctx.db.flush()
    # only totals: who voted for which card stays secret until the reveal
    return {"vote_id": vr.id, **_totals(ctx.db, vr)}


@operation("vote.retract", while_locked=True)
def vote_retract(ctx: Context, op: dict) -> dict:
    pid = _voter(ctx)
    vr = _vote_or_fail(ctx, "open")
    card_id = v.integer(op, "card_id", minimum=1)
    vote = ctx.db.scalars(select(Vote).where(Vote.vote_round_id == vr.id, Vote.card_id == card_id,
                                             Vote.participant_id == pid)).one_or_none()
    if vote is None:
        raise Conflict(N_("You have no vote on this card."), code="no_vote_on_card")
    if vote.count <= 1:
        ctx.db.delete(vote)
    else:
        vote.count -= 1
    ctx.db.flush()
    return {"vote_id": vr.id, **_totals(ctx.db, vr)}


@operation("vote.reveal", facilitator_only=True, while_locked=True)
def vote_reveal(ctx: Context, op: dict) -> dict:
    vr = _vote_or_fail(ctx, "open")
    vr.status, vr.revealed_at = "revealed", utcnow()
    ctx.db.flush()
    return {"vote": vote_dict(ctx.db, vr)}


@operation("vote.close", facilitator_only=True, while_locked=True)
def vote_close(ctx: Context, op: dict) -> dict:
    """Fix the result on the cards and order each cell of the lane by votes."""
    vr = _vote_or_fail(ctx, "open", "revealed")
    now = utcnow()
    if vr.revealed_at is None:
        vr.revealed_at = now
    vr.status, vr.closed_at = "closed", now
    counts = vote_counts(ctx.db, vr.id)
    cards = list(ctx.db.scalars(select(Card).where(Card.session_id == ctx.session_id, Card.lane_id == vr.lane_id)
                                .order_by(Card.phase_id, Card.position, Card.id)))
    cells: dict[int, list[Card]] = {}
    for c in cards:
        c.votes = counts.get(c.id, 0)
        cells.setdefault(c.phase_id, []).append(c)
    positions = {}
    for cell in cells.values():
        for n, c in enumerate(sorted(cell, key=lambda c: (-c.votes, c.position, c.id)), 1):
            c.position = float(n)
            positions[str(c.id)] = c.position
    ranking = [c.id for c in sorted(cards, key=lambda c: (-c.votes, c.phase_id, c.position, c.id)) if c.votes]
    ctx.db.flush()
    return {"vote": vote_dict(ctx.db, vr), "votes": {str(c.id): c.votes for c in cards},
            "positions": positions, "ranking": ranking}


# ---------------------------------------------------------------------------
# participants


def _participants(ctx: Context) -> list[Participant]:
    return list(ctx.db.scalars(select(Participant).where(Participant.session_id == ctx.session_id,
                                                         Participant.removed_at.is_(None))
                               .order_by(Participant.id)))


def _participant(ctx: Context, op: dict) -> Participant:
    p = ctx.db.get(Participant, v.integer(op, "id", minimum=1))
    if p is None or p.session_id != ctx.session_id or p.removed_at is not None:
        raise NotFound(N_("This participant is not in the session (any more)."), code="unknown_participant")
    return p


@operation("participant.rename", facilitator_only=True, while_locked=True)
def participant_rename(ctx: Context, op: dict) -> dict:
    p = _participant(ctx, op)
    name = v.text(op, "name", v.LIMITS["display_name"], required=True)
    p.display_name = name
    card_ids = list(ctx.db.scalars(select(Card.id).where(Card.author_participant_id == p.id)))
    ctx.db.execute(update(Card).where(Card.author_participant_id == p.id)
                   .values(author_name=name[: v.LIMITS["author_name"]]))
    # in anonymous mode the new name is taken out when the event is sent (redact.py)
    return {"id": p.id, "name": name, "card_ids": card_ids}


@operation("participant.remove", facilitator_only=True, while_locked=True)
def participant_remove(ctx: Context, op: dict) -> dict:
    """The token stops working at once; the live layer closes this participant's sockets on this event."""
    p = _participant(ctx, op)
    p.removed_at = utcnow()
    payload = {"id": p.id, "participant_id": p.id}
    vr = _active_vote(ctx.db, ctx.session_id)
    if vr is not None and vr.status == "open":
        ctx.db.execute(delete(Vote).where(Vote.vote_round_id == vr.id, Vote.participant_id == p.id))
        ctx.db.flush()
        payload["vote"] = {"vote_id": vr.id, **_totals(ctx.db, vr)}
    return payload


# ---------------------------------------------------------------------------
# the formula plate


def _plate_items(ctx: Context, section: str, heading: str, exclude: int | None = None) -> list[PlateItem]:
    q = select(PlateItem).where(PlateItem.session_id == ctx.session_id, PlateItem.section == section,
                                PlateItem.heading == heading)
    if exclude is not None:
        q = q.where(PlateItem.id != exclude)
    return list(ctx.db.scalars(q.order_by(PlateItem.position, PlateItem.id)))


def _plate_item(ctx: Context, op: dict) -> PlateItem:
    item = ctx.db.get(PlateItem, v.integer(op, "id", minimum=1))
    if item is None or item.session_id != ctx.session_id:
        raise NotFound(N_("This item does not exist (any more)."), code="unknown_plate_item")
    return item


@operation("plate.add")
def plate_add(ctx: Context, op: dict) -> dict:
    section = v.choice(op, "section", v.PLATE_SECTIONS, default="guarantee")
    heading = v.text(op, "heading", v.LIMITS["plate_heading"], required=True)
    text = v.text(op, "text", v.LIMITS["plate_text"], required=True)
    if ctx.db.scalar(select(func.count(PlateItem.id)).where(PlateItem.session_id == ctx.session_id)) >= v.MAX_PLATE:
        raise Conflict(N_("The plate is full."), code="too_many")
    position, renumbered = _place(_plate_items(ctx, section, heading), v.integer(op, "index", required=False))
    item = PlateItem(session_id=ctx.session_id, section=section, heading=heading, text=text, position=position)
    ctx.db.add(item)
    ctx.db.flush()
    return {"item": plate_item_dict(item), "renumbered": renumbered}


@operation("plate.update")
def plate_update(ctx: Context, op: dict) -> dict:
    item = _plate_item(ctx, op)
    item.text = v.text(op, "text", v.LIMITS["plate_text"], required=True)
    return {"id": item.id, "changes": {"text": item.text}}


@operation("plate.move")
def plate_move(ctx: Context, op: dict) -> dict:
    item = _plate_item(ctx, op)
    section = v.choice(op, "section", v.PLATE_SECTIONS, default=item.section)
    heading = v.text(op, "heading", v.LIMITS["plate_heading"], default=item.heading) or item.heading
    position, renumbered = _place(_plate_items(ctx, section, heading, exclude=item.id),
                                  v.integer(op, "index", required=False))
    item.section, item.heading, item.position = section, heading, position
    return {"id": item.id, "section": section, "heading": heading, "position": position,
            "renumbered": renumbered}


@operation("plate.delete")
def plate_delete(ctx: Context, op: dict) -> dict:
    item = _plate_item(ctx, op)
    ctx.db.delete(item)
    return {"id": item.id}


@operation("session.update_plate_meta")
def session_update_plate_meta(ctx: Context, op: dict) -> dict:
    changes = {}
    if "tagline" in op:
        changes["tagline"] = v.text(op, "tagline", 200, default="") or ""
    if "personas" in op:
        personas = op["personas"]
        if (not isinstance(personas, list) or len(personas) > MAX_PERSONAS
                or not all(isinstance(p, str) and len(p) <= 120 for p in personas)):
            raise ValidationError(N_("Personas must be a short list of names."), code="wrong_type",
                                  field="personas")
        changes["personas"] = [c for c in (v.clean_text(p) for p in personas) if c]
    if not changes:
        raise ValidationError(N_("Nothing to change."), code="missing_field")
    for key, value in changes.items():
        setattr(ctx.ws, key, value)
    return {"changes": changes}


# ---------------------------------------------------------------------------
# the library grows from the board


@operation("library.promote", facilitator_only=True, while_locked=True)
def library_promote(ctx: Context, op: dict) -> dict:
    """Make a card an own library entry of the session's facilitator and link the card to it."""
    card = _get_in_session(ctx, Card, v.integer(op, "id", minimum=1), "card")
    lane = ctx.db.get(Lane, card.lane_id)
    existing = ctx.db.get(LibraryEntry, card.library_entry_id) if card.library_entry_id else None
    if existing is not None and existing.origin == "own" and existing.owner_id == ctx.ws.facilitator_id:
        raise Conflict(N_("This card is already in your library."), code="already_in_library")
    now = utcnow()
    entry = LibraryEntry(
        name=card.title, aliases=[], statements=[card.statement] if card.statement else [],
        channels=list(card.channels or []), lane="backoffice" if lane and lane.kind == "backoffice" else "innovations",
        formulas=[ctx.ws.formula.slug] if ctx.ws.formula else [], tags=[], origin="own",
        owner_id=ctx.ws.facilitator_id, created_at=now, updated_at=now)
    ctx.db.add(entry)
    ctx.db.flush()
    card.library_entry_id = entry.id
    return {"card_id": card.id, "library_entry_id": entry.id, "name": entry.name}
