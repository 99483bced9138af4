"""Board documents: one versioned JSON shape for templates, copies and import/export.

A *board document* holds a session's structure (phases, lanes), optionally its
cards, its plate and its agenda. Formula templates, saved templates, copies of
past sessions and imported files all become sessions through
``create_session_from_document``, so there is one cloner with one validator.
The source session is only read: a copy never shares rows with it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .board import validate as v
from .board.library import card_text
from .board.operations import channel_slugs
from .board.errors import N_, ValidationError
from .db import utcnow
from .models import AgendaRound, Card, Formula, Lane, LibraryEntry, Phase, PlateItem, WorkshopSession

SCHEMA = "workshop-board"
VERSION = 1

MAX_CARDS = 5000

DEFAULT_LANES = [
    ("current", "Huidige klantreis"),
    ("desired", "Gewenste klantreis"),
    ("innovations", "Dienstinnovaties & klantinteracties"),
    ("backoffice", "Backoffice"),
]

GUARANTEE_HEADINGS = ["Beleving", "Toegang", "Service", "Assortiment", "Prijs"]
AGREEMENT_HEADINGS = ["HRM en Besturing", "Processen", "Informatisering", "Financiën"]

# A half-day pressure cooker (about three hours with a break), as in the brief.
DEFAULT_AGENDA = [
    {"name": "Welkom en doel van de sessie", "duration_seconds": 10 * 60, "focus_lane_kind": None,
     "instructions": "Kennismaking, het product dat we verbeteren en de formule die we volgen."},
    {"name": "Huidige klantreis", "duration_seconds": 30 * 60, "focus_lane_kind": "current",
     "instructions": "Benoem de fasen van vandaag en de knelpunten die de klant ervaart."},
    {"name": "Gewenste klantreis", "duration_seconds": 30 * 60, "focus_lane_kind": "desired",
     "instructions": "Beschrijf per fase wat de klant wil, als “Ik …”-uitspraak."},
    {"name": "Dienstinnovaties", "duration_seconds": 40 * 60, "focus_lane_kind": "innovations",
     "instructions": "Kies kaarten uit de bibliotheek of maak nieuwe, per fase, met kanalen."},
    {"name": "Backoffice", "duration_seconds": 30 * 60, "focus_lane_kind": "backoffice",
     "instructions": "Wat moet de organisatie per fase regelen om dit waar te maken?"},
    {"name": "Prioriteren", "duration_seconds": 15 * 60, "focus_lane_kind": "innovations",
     "instructions": "Verdeel je stemmen over de innovaties die het meeste opleveren."},
    {"name": "Afsluiting", "duration_seconds": 10 * 60, "focus_lane_kind": None,
     "instructions": "Terugblik, vervolgstappen en wie wat oppakt."},
]


# ---------------------------------------------------------------------------
# building documents


def empty_document(title: str = "") -> dict:
    return {
        "schema": SCHEMA, "version": VERSION,
        "session": {"title": title, "municipality": "", "product": "", "formula": None, "tagline": "",
                    "personas": [], "anonymous": False, "edit_policy": "all"},
        "phases": [], "lanes": [{"key": f"l{i}", "kind": k, "name": n} for i, (k, n) in enumerate(DEFAULT_LANES, 1)],
        "cards": [], "plate": [], "agenda": [dict(r) for r in DEFAULT_AGENDA],
    }


def _library_by_name(db: Session) -> dict[str, LibraryEntry]:
    index: dict[str, LibraryEntry] = {}
    for entry in db.scalars(select(LibraryEntry).where(LibraryEntry.origin == "vng")):
        for name in [entry.name, *(entry.aliases or [])]:
            index.setdefault(name.casefold(), entry)
    return index


def formula_document(db: Session, formula: Formula, *, with_cards: bool) -> dict:
    """The ready template of a formula: its journey's phases, default lanes, plate, agenda."""
    doc = empty_document()
    doc["session"].update(formula=formula.slug, tagline=formula.tagline or "",
                          personas=list(formula.personas or []))
    library = _library_by_name(db) if with_cards else {}
    lane_key = {lane["kind"]: lane["key"] for lane in doc["lanes"]}
    for i, ph in enumerate((formula.journey or {}).get("phases", []), 1):
        key = f"p{i}"
        doc["phases"].append({"key": key, "current_name": ph.get("current"),
                              "desired_name": ph.get("desired") or "", "statement": ph.get("statement") or ""})
        if not with_cards:
            continue
        for kind in ("innovations", "backoffice"):
            for name in ph.get(kind) or []:
                # the grid's own spelling, with that formula's statement and channels
                entry = library.get(name.casefold())
                text = card_text(entry, formula.id) if entry else {"statement": "", "channels": []}
                doc["cards"].append({
                    "phase": key, "lane": lane_key[kind], "title": name, "statement": text["statement"],
                    "channels": text["channels"], "library_entry": entry.name if entry else None,
                })
    plate = formula.plate or {}
    for section, headings in (("guarantee", plate.get("guarantees") or {}),
                              ("agreement", plate.get("agreements") or {})):
        for heading, items in headings.items():
            for text in items or []:
                doc["plate"].append({"section": section, "heading": heading, "text": text})
    return doc


def as_template_document(doc: dict) -> dict:
    """A board document fit to be a template: reused with other groups, it names no one and
    starts with no votes (the cards' authors were the earlier group's participants)."""
    return dict(doc, cards=[dict(card, author=None, votes=0) for card in doc.get("cards") or []])


def session_document(db: Session, ws: WorkshopSession, *, with_cards: bool = True) -> dict:
    """A session as a board document (structure, and cards when asked)."""
    return document_and_rows(db, ws, with_cards=with_cards)[0]


def document_and_rows(db: Session, ws: WorkshopSession, *,
                      with_cards: bool = True) -> tuple[dict, list[Lane], list[Card]]:
    """The board document and the lane and card rows it was made from, in the document's order
    (the JSON export keys votes to them)."""
    doc = empty_document(ws.title)
    doc["session"].update(
        title=ws.title, municipality=ws.municipality, product=ws.product,
        formula=ws.formula.slug if ws.formula else None, tagline=ws.tagline or "",
        personas=list(ws.personas or []), anonymous=ws.anonymous, edit_policy=ws.edit_policy,
        session_date=ws.session_date.isoformat() if ws.session_date else None,
    )
    phases = db.scalars(select(Phase).where(Phase.session_id == ws.id).order_by(Phase.position, Phase.id)).all()
    lanes = db.scalars(select(Lane).where(Lane.session_id == ws.id).order_by(Lane.position, Lane.id)).all()
    pkey = {p.id: f"p{i}" for i, p in enumerate(phases, 1)}
    lkey = {lane.id: f"l{i}" for i, lane in enumerate(lanes, 1)}
    doc["phases"] = [{"key": pkey[p.id], "current_name": p.current_name, "desired_name": p.desired_name,
                      "statement": p.statement} for p in phases]
    doc["lanes"] = [{"key": lkey[lane.id], "kind": lane.kind, "name": lane.name} for lane in lanes]
    cards = []
    if with_cards:
        cards = db.scalars(select(Card).where(Card.session_id == ws.id)
                           .order_by(Card.phase_id, Card.lane_id, Card.position, Card.id)).all()
        linked = {c.library_entry_id for c in cards if c.library_entry_id}
        entries = dict(db.execute(select(LibraryEntry.id, LibraryEntry.name)
                                  .where(LibraryEntry.id.in_(linked))).all()) if linked else {}
        doc["cards"] = [{
            "phase": pkey[c.phase_id], "lane": lkey[c.lane_id], "title": c.title, "statement": c.statement,
            # a session that hides names gives none to its copies and exports either
            "channels": list(c.channels or []), "author": None if ws.anonymous else (c.author_name or None),
            "votes": c.votes,
            "library_entry": entries.get(c.library_entry_id),
        } for c in cards]
    doc["plate"] = [{"section": i.section, "heading": i.heading, "text": i.text} for i in db.scalars(
        select(PlateItem).where(PlateItem.session_id == ws.id).order_by(PlateItem.position, PlateItem.id))]
    doc["agenda"] = [{"name": r.name, "duration_seconds": r.duration_seconds, "instructions": r.instructions,
                      "focus_lane_kind": r.focus_lane_kind} for r in db.scalars(
        select(AgendaRound).where(AgendaRound.session_id == ws.id).order_by(AgendaRound.position, AgendaRound.id))]
    return doc, list(lanes), list(cards)


# ---------------------------------------------------------------------------
# validating documents (they may come from a file a stranger wrote)


def _bad(message: str, **params) -> ValidationError:
    return ValidationError(message, code="invalid_document", **params)


def _list(doc: dict, key: str, limit: int) -> list:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise _bad(N_("“%(key)s” must be a list."), key=key)
    if len(value) > limit:
        raise _bad(N_("“%(key)s” has more than %(limit)d items."), key=key, limit=limit)
    for item in value:
        if not isinstance(item, dict):
            raise _bad(N_("Every item of “%(key)s” must be an object."), key=key)
    return value


def validate_document(doc, known_channels: set[str], formula_slugs: set[str]) -> dict:
    """Check a board document fully and return a cleaned copy, or raise ValidationError."""
    if not isinstance(doc, dict):
        raise _bad(N_("The file is not a board document."))
    if doc.get("schema") != SCHEMA:
        raise _bad(N_("The file is not a board document (schema “%(schema)s” expected)."), schema=SCHEMA)
    if doc.get("version") != VERSION:
        raise _bad(N_("Unsupported document version; this installation reads version %(version)d."),
                   version=VERSION)
    meta = doc.get("session") or {}
    if not isinstance(meta, dict):
        raise _bad(N_("“%(key)s” must be an object."), key="session")
    out_meta = {
        "title": v.text(meta, "title", 200, default="") or "",
        "municipality": v.text(meta, "municipality", 120, default="") or "",
        "product": v.text(meta, "product", 200, default="") or "",
        "tagline": v.text(meta, "tagline", 200, default="") or "",
        "anonymous": v.boolean(meta, "anonymous", default=False),
        "edit_policy": v.choice(meta, "edit_policy", ("all", "own"), default="all"),
        "formula": None, "personas": [], "session_date": None,
    }
    formula = meta.get("formula")
    if formula is not None:
        if not isinstance(formula, str) or formula not in formula_slugs:
            raise _bad(N_("Unknown formula in the document."))
        out_meta["formula"] = formula
    personas = meta.get("personas") or []
    if not isinstance(personas, list) or len(personas) > 20 or not all(isinstance(p, str) and len(p) <= 120
                                                                        for p in personas):
        raise _bad(N_("“%(key)s” must be a short list of names."), key="personas")
    out_meta["personas"] = [v.clean_text(p) for p in personas]
    if meta.get("session_date"):
        try:
            out_meta["session_date"] = date.fromisoformat(str(meta["session_date"])[:10]).isoformat()
        except ValueError:
            raise _bad(N_("“%(key)s” is not a date."), key="session_date") from None

    phases, lanes = [], []
    for item in _list(doc, "phases", v.MAX_PHASES):
        phases.append({
            "key": v.text(item, "key", 20, required=True),
            "current_name": v.text(item, "current_name", v.LIMITS["phase_name"], nullable=True) or None,
            "desired_name": v.text(item, "desired_name", v.LIMITS["phase_name"], default="") or "",
            "statement": v.text(item, "statement", v.LIMITS["phase_statement"], default="") or "",
        })
    for item in _list(doc, "lanes", v.MAX_LANES):
        lanes.append({
            "key": v.text(item, "key", 20, required=True),
            "kind": v.choice(item, "kind", v.LANE_KINDS,
                             default="custom"),
            "name": v.text(item, "name", v.LIMITS["lane_name"], required=True),
        })
    pkeys, lkeys = {p["key"] for p in phases}, {lane["key"] for lane in lanes}
    if len(pkeys) != len(phases) or len(lkeys) != len(lanes):
        raise _bad(N_("Phase and lane keys must be unique."))
    cards = []
    for item in _list(doc, "cards", MAX_CARDS):
        card = {
            "phase": v.text(item, "phase", 20, required=True),
            "lane": v.text(item, "lane", 20, required=True),
            "title": v.text(item, "title", v.LIMITS["title"], required=True),
            "statement": v.text(item, "statement", v.LIMITS["statement"], default="") or "",
            "channels": v.channel_list(item, "channels", known_channels, default=[]),
            "author": v.text(item, "author", v.LIMITS["author_name"], default=None),
            "votes": v.integer(item, "votes", required=False, default=0, maximum=100000),
            "library_entry": v.text(item, "library_entry", 200, default=None),
        }
        if card["phase"] not in pkeys or card["lane"] not in lkeys:
            raise _bad(N_("A card refers to a phase or lane that is not in the document."))
        cards.append(card)
    plate = []
    for item in _list(doc, "plate", v.MAX_PLATE):
        plate.append({
            "section": v.choice(item, "section", v.PLATE_SECTIONS, default="guarantee"),
            "heading": v.text(item, "heading", v.LIMITS["plate_heading"], required=True),
            "text": v.text(item, "text", v.LIMITS["plate_text"], required=True),
        })
    agenda = []
    for item in _list(doc, "agenda", v.MAX_AGENDA):
        agenda.append({
            "name": v.text(item, "name", v.LIMITS["round_name"], required=True),
            "duration_seconds": v.integer(item, "duration_seconds", minimum=10, maximum=v.MAX_ROUND_SECONDS),
            "instructions": v.text(item, "instructions", v.LIMITS["round_instructions"], default="") or "",
            "focus_lane_kind": v.choice(item, "focus_lane_kind",
                                        v.LANE_KINDS,
                                        default=None) if item.get("focus_lane_kind") is not None else None,
        })
    return {"schema": SCHEMA, "version": VERSION, "session": out_meta, "phases": phases, "lanes": lanes,
            "cards": cards, "plate": plate, "agenda": agenda}


# ---------------------------------------------------------------------------
# creating sessions from documents


def create_session_from_document(db: Session, doc: dict, *, facilitator_id: int, join_code: str,
                                 overrides: dict | None = None, with_cards: bool = True) -> WorkshopSession:
    """Create a new, independent session from a (validated here) board document. Flushes."""
    known = channel_slugs(db)
    formulas = {f.slug: f for f in db.scalars(select(Formula))}
    doc = validate_document(doc, known, set(formulas))
    return build_session(db, doc, formulas, facilitator_id=facilitator_id, join_code=join_code,
                         overrides=overrides, with_cards=with_cards).session


@dataclass
class BuiltSession:
    session: WorkshopSession
    lane_ids: dict[str, int]      # document key -> new lane id
    cards_by_key: dict[str, Card]  # document key -> new card (cards with a key)


def build_session(db: Session, doc: dict, formulas: dict, *, facilitator_id: int, join_code: str,
                  overrides: dict | None = None, with_cards: bool = True) -> BuiltSession:
    """The rows of a session from an already validated document (``validate_document``). Flushes."""
    meta = {**doc["session"], **{k: val for k, val in (overrides or {}).items() if val is not None}}
    ws = WorkshopSession(
        facilitator_id=facilitator_id, title=meta["title"] or "Sessie", municipality=meta["municipality"],
        product=meta["product"], formula=formulas.get(meta["formula"]) if meta["formula"] else None,
        join_code=join_code, tagline=meta["tagline"], personas=meta["personas"],
        anonymous=meta["anonymous"], edit_policy=meta["edit_policy"],
        session_date=date.fromisoformat(meta["session_date"]) if meta.get("session_date") else None,
    )
    db.add(ws)
    db.flush()
    phases = {p["key"]: Phase(session_id=ws.id, position=float(n), current_name=p["current_name"],
                              desired_name=p["desired_name"], statement=p["statement"])
              for n, p in enumerate(doc["phases"], 1)}
    lanes = {lane["key"]: Lane(session_id=ws.id, position=float(n), kind=lane["kind"], name=lane["name"])
             for n, lane in enumerate(doc["lanes"], 1)}
    db.add_all([*phases.values(), *lanes.values()])
    db.flush()  # one flush for all of them: the cards need their ids
    phase_ids = {key: row.id for key, row in phases.items()}
    lane_ids = {key: row.id for key, row in lanes.items()}
    cards_by_key = {}
    if with_cards and doc["cards"]:
        library = _library_by_name(db)
        counters: dict[tuple, int] = {}
        now = utcnow()
        for c in doc["cards"]:
            cell = (phase_ids[c["phase"]], lane_ids[c["lane"]])
            counters[cell] = counters.get(cell, 0) + 1
            entry = library.get(c["library_entry"].casefold()) if c["library_entry"] else None
            card = Card(session_id=ws.id, phase_id=cell[0], lane_id=cell[1], position=float(counters[cell]),
                        title=c["title"], statement=c["statement"], channels=c["channels"],
                        author_name=c["author"] or "", votes=c["votes"] or 0,
                        library_entry_id=entry.id if entry else None, created_at=now, updated_at=now)
            db.add(card)
            if c.get("key"):
                cards_by_key[c["key"]] = card
    for n, item in enumerate(doc["plate"], 1):
        db.add(PlateItem(session_id=ws.id, position=float(n), **item))
    for n, r in enumerate(doc["agenda"], 1):
        db.add(AgendaRound(session_id=ws.id, position=n, **r))
    db.flush()
    return BuiltSession(ws, lane_ids, cards_by_key)
