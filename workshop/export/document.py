"""JSON export and import of a whole session.

The file is the *board document* of ``workshop.cloning`` (schema
``workshop-board``, version 1) with optional extra sections that only a full
export carries: ``exported_at``, card ``key``s, ``participants``,
``vote_rounds`` and ``votes``. Templates and copies ignore them; an import
restores them. The format is described in ``docs/export-format.md``.

Imported files come from strangers: ``parse`` refuses anything oversized, not
UTF-8 JSON, too deeply nested or with absurd numbers, and ``validate_export``
refuses any key it does not know, before a single row is created.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import cloning
from ..board import validate as v
from ..board.operations import channel_slugs
from ..board.errors import N_
from ..models import Formula, Participant, Template, Vote, VoteRound, WorkshopSession

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 6  # document → list → item → list of channels is 4 deep; a little slack
MAX_PARTICIPANTS, MAX_VOTE_ROUNDS, MAX_VOTES = 2000, 200, 200_000

TOP_KEYS = {"schema", "version", "exported_at", "generator", "session", "phases", "lanes", "cards", "plate",
            "agenda", "participants", "vote_rounds", "votes"}
ITEM_KEYS = {
    "session": {"title", "municipality", "product", "formula", "tagline", "personas", "anonymous", "edit_policy",
                "session_date"},
    "phases": {"key", "current_name", "desired_name", "statement"},
    "lanes": {"key", "kind", "name"},
    "cards": {"key", "phase", "lane", "title", "statement", "channels", "author", "votes", "library_entry"},
    "plate": {"section", "heading", "text"},
    "agenda": {"name", "duration_seconds", "instructions", "focus_lane_kind"},
    "participants": {"key", "name"},
    "vote_rounds": {"key", "lane", "votes_per_participant", "max_per_card", "status"},
    "votes": {"round", "card", "participant", "count"},
}


_bad = cloning._bad  # the same error as the board document's own checks


# ---------------------------------------------------------------------------
# export


def export_document(db: Session, ws: WorkshopSession) -> dict:
    """The whole session as a board document with its participants and votes."""
    doc, lanes, cards = cloning.document_and_rows(db, ws, with_cards=True)
    doc = {"schema": doc["schema"], "version": doc["version"],
           "exported_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
           "generator": "workshop", **{k: val for k, val in doc.items() if k not in ("schema", "version")}}
    card_key = {}
    for n, (card, item) in enumerate(zip(cards, doc["cards"]), 1):
        card_key[card.id] = item["key"] = f"c{n}"  # authors: none when names are hidden (cloning)
    participants = db.scalars(select(Participant).where(Participant.session_id == ws.id,
                                                        Participant.removed_at.is_(None))
                              .order_by(Participant.id)).all()
    person_key = {p.id: f"u{n}" for n, p in enumerate(participants, 1)}
    doc["participants"] = [{"key": person_key[p.id], "name": None if ws.anonymous else p.display_name}
                           for p in participants]
    lane_key = {lane.id: item["key"] for lane, item in zip(lanes, doc["lanes"])}
    rounds = db.scalars(select(VoteRound).where(VoteRound.session_id == ws.id).order_by(VoteRound.id)).all()
    round_key = {r.id: f"v{n}" for n, r in enumerate(rounds, 1)}
    doc["vote_rounds"] = [{"key": round_key[r.id], "lane": lane_key.get(r.lane_id),
                           "votes_per_participant": r.votes_per_participant, "max_per_card": r.max_per_card,
                           "status": r.status} for r in rounds]
    votes = db.scalars(select(Vote).join(VoteRound, VoteRound.id == Vote.vote_round_id)
                       .where(VoteRound.session_id == ws.id).order_by(Vote.id)).all()
    doc["votes"] = [{"round": round_key[x.vote_round_id], "card": card_key[x.card_id],
                     "participant": person_key[x.participant_id], "count": x.count}
                    for x in votes if x.card_id in card_key and x.participant_id in person_key]
    return doc


def dumps(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


# ---------------------------------------------------------------------------
# parsing and validating a file


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > 12:
        raise _bad(N_("The file contains a number that is too large."))
    return int(text)


def _no_floats(text: str):
    raise _bad(N_("The file contains a number with a fraction where whole numbers are expected."))


def _no_constants(text: str):
    raise _bad(N_("The file contains an invalid number (%(value)s)."), value=text[:10])


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > MAX_DEPTH:
            return deepest
        if isinstance(item, dict):
            stack.extend((x, d + 1) for x in item.values() if isinstance(x, (dict, list)))
        elif isinstance(item, list):
            stack.extend((x, d + 1) for x in item if isinstance(x, (dict, list)))
    return deepest


def parse(data: bytes | str) -> dict:
    """Bytes of an uploaded file → a parsed (not yet validated) document, or ValidationError."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise _bad(N_("The file is larger than %(limit)d MB."), limit=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise _bad(N_("The file is empty."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad(N_("The file is not UTF-8 text.")) from None
    try:
        doc = json.loads(text, parse_int=_parse_int, parse_float=_no_floats, parse_constant=_no_constants)
    except RecursionError:
        raise _bad(N_("The file is nested too deeply.")) from None
    except json.JSONDecodeError as err:
        raise _bad(N_("The file is not valid JSON (line %(line)d, column %(col)d); is it complete?"),
                   line=err.lineno, col=err.colno) from None
    if not isinstance(doc, dict):
        raise _bad(N_("The file is not a board document."))
    if _depth(doc) > MAX_DEPTH:
        raise _bad(N_("The file is nested too deeply."))
    return doc


def _keys(obj: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise _bad(N_("Unknown field “%(name)s” in “%(where)s”."), name=str(unknown[0])[:40], where=where)


def _key(item: dict, seen: set, where: str) -> str:
    key = v.text(item, "key", 20, required=True)
    if key in seen:
        raise _bad(N_("Duplicate key “%(key)s” in “%(where)s”."), key=key, where=where)
    seen.add(key)
    return key


def _extra_list(doc: dict, name: str, limit: int) -> list[dict]:
    """An optional export-only section: absent or null means empty."""
    if doc.get(name) is None:
        return []
    return cloning._list(doc, name, limit)


def validate_export(doc, known_channels: set[str], formula_slugs: set[str]) -> dict:
    """Strictly check a full export (unknown keys refused) and return a cleaned copy."""
    if not isinstance(doc, dict):
        raise _bad(N_("The file is not a board document."))
    _keys(doc, TOP_KEYS, "document")
    if isinstance(doc.get("session"), dict):
        _keys(doc["session"], ITEM_KEYS["session"], "session")
    for section in ("phases", "lanes", "cards", "plate", "agenda"):
        if isinstance(doc.get(section), list):
            for item in doc[section][:cloning.MAX_CARDS + 1]:
                if isinstance(item, dict):
                    _keys(item, ITEM_KEYS[section], section)
    clean = cloning.validate_document(doc, known_channels, formula_slugs)
    for name in ("exported_at", "generator"):
        if doc.get(name) is not None:
            clean[name] = v.text(doc, name, 40)
    # cards: optional keys, needed only when votes refer to them
    card_keys: list[str | None] = []
    seen: set = set()
    for item in doc.get("cards") or []:
        card_keys.append(_key(item, seen, "cards") if "key" in item else None)
    for card, key in zip(clean["cards"], card_keys):
        if key is not None:
            card["key"] = key
    lane_keys = {lane["key"] for lane in clean["lanes"]}
    people, seen = [], set()
    for item in _extra_list(doc, "participants", MAX_PARTICIPANTS):
        _keys(item, ITEM_KEYS["participants"], "participants")
        people.append({"key": _key(item, seen, "participants"),
                       "name": v.text(item, "name", v.LIMITS["display_name"], nullable=True)})
    rounds, seen = [], set()
    for item in _extra_list(doc, "vote_rounds", MAX_VOTE_ROUNDS):
        _keys(item, ITEM_KEYS["vote_rounds"], "vote_rounds")
        lane = v.text(item, "lane", 20, nullable=True)
        if lane is not None and lane not in lane_keys:
            raise _bad(N_("A vote round refers to a lane that is not in the document."))
        rounds.append({"key": _key(item, seen, "vote_rounds"), "lane": lane,
                       "votes_per_participant": v.integer(item, "votes_per_participant", minimum=1, maximum=100),
                       "max_per_card": v.integer(item, "max_per_card", minimum=1, maximum=100),
                       "status": v.choice(item, "status", ("open", "revealed", "closed"), default="closed")})
    round_keys, person_keys = {r["key"] for r in rounds}, {p["key"] for p in people}
    card_key_set = {k for k in card_keys if k}
    votes, seen = [], set()
    for item in _extra_list(doc, "votes", MAX_VOTES):
        _keys(item, ITEM_KEYS["votes"], "votes")
        vote = {"round": v.text(item, "round", 20, required=True), "card": v.text(item, "card", 20, required=True),
                "participant": v.text(item, "participant", 20, required=True),
                "count": v.integer(item, "count", minimum=1, maximum=100)}
        if (vote["round"] not in round_keys or vote["card"] not in card_key_set
                or vote["participant"] not in person_keys):
            raise _bad(N_("A vote refers to a round, card or participant that is not in the document."))
        ident = (vote["round"], vote["card"], vote["participant"])
        if ident in seen:
            raise _bad(N_("The same vote appears twice in the document."))
        seen.add(ident)
        votes.append(vote)
    clean.update(participants=people, vote_rounds=rounds, votes=votes)
    return clean


# ---------------------------------------------------------------------------
# import


def _unusable_token_hash() -> str:
    """Imported participants cannot log in: nobody holds the token behind this hash."""
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def import_document(db: Session, doc: dict, *, facilitator_id: int, as_template: bool = False) -> WorkshopSession | Template:
    """A new session (new join code) or a Template row from a parsed document. Flushes, never commits.

    Everything is validated before the first row is added, so a refused file creates nothing.
    """
    known = channel_slugs(db)
    formulas = {f.slug: f for f in db.scalars(select(Formula))}
    clean = validate_export(doc, known, set(formulas))
    core = {k: clean[k] for k in ("schema", "version", "session", "phases", "lanes", "cards", "plate", "agenda")}
    if as_template:
        meta = clean["session"]
        template = Template(owner_id=facilitator_id, formula_id=formulas[meta["formula"]].id if meta["formula"]
                            else None, name=meta["title"] or "Geïmporteerd bord", kind="import",
                            with_cards=bool(clean["cards"]), document=cloning.as_template_document(core),
                            description="Geïmporteerd" + (f" ({meta['municipality']})" if meta["municipality"] else ""))
        db.add(template)
        db.flush()
        return template
    from ..sessions import new_join_code
    # ``clean`` passed validate_document inside validate_export: build without checking again
    built = cloning.build_session(db, core, formulas, facilitator_id=facilitator_id, join_code=new_join_code(db))
    ws, lane_ids = built.session, built.lane_ids
    card_ids = {key: card.id for key, card in built.cards_by_key.items()}
    person_ids = {}
    for n, p in enumerate(clean["participants"], 1):
        row = Participant(session_id=ws.id, display_name=p["name"] or f"Deelnemer {n}",
                          token_hash=_unusable_token_hash())
        db.add(row)
        db.flush()
        person_ids[p["key"]] = row.id
    round_ids = {}
    for r in clean["vote_rounds"]:
        row = VoteRound(session_id=ws.id, lane_id=lane_ids.get(r["lane"]), status=r["status"],
                        votes_per_participant=r["votes_per_participant"], max_per_card=r["max_per_card"])
        db.add(row)
        db.flush()
        round_ids[r["key"]] = row.id
    for x in clean["votes"]:
        db.add(Vote(vote_round_id=round_ids[x["round"]], card_id=card_ids[x["card"]],
                    participant_id=person_ids[x["participant"]], count=x["count"]))
    db.flush()
    return ws
