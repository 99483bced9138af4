"""Reuse: templates (formula templates and a facilitator's own) and the growing library.

Like the board operations these functions validate, change, flush and never
commit. Visibility is one rule: formula templates and VNG entries are shared;
own templates and own entries belong to one facilitator and are reported as
missing to everybody else (their existence is not leaked).
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import cloning
from .board import validate as v
from .board.library import card_text
from .board.operations import channel_slugs
from .board.serialize import iso
from .board.errors import N_, Forbidden, NotFound
from .db import utcnow
from .models import Formula, LibraryEntry, Template, WorkshopSession

LIBRARY_LANES = ("innovations", "backoffice")


# ---------------------------------------------------------------------------
# templates


def visible_templates(db: Session, owner_id: int) -> list[Template]:
    """Formula templates first (in formula order), then the facilitator's own, newest first."""
    rows = db.scalars(select(Template).where(or_(Template.owner_id.is_(None), Template.owner_id == owner_id))).all()
    position = dict(db.execute(select(Formula.id, Formula.position)).all())
    formula = sorted((t for t in rows if t.owner_id is None),
                     key=lambda t: (t.formula_id is None, position.get(t.formula_id, 99), t.name))
    own = sorted((t for t in rows if t.owner_id is not None), key=lambda t: (t.created_at, t.id), reverse=True)
    return formula + own


def get_template(db: Session, template_id: int, owner_id: int, *, own: bool = False) -> Template:
    t = db.get(Template, template_id)
    if t is None or t.owner_id not in (None, owner_id):
        raise NotFound(N_("This template does not exist."), code="unknown_template")
    if own and t.owner_id is None:
        raise Forbidden(N_("Formula templates belong to everyone and cannot be changed; save a copy as your own "
                           "template instead."), code="formula_template")
    return t


def template_summary(t: Template) -> dict:
    doc = t.document or {}
    phases = doc.get("phases") or []
    lanes = doc.get("lanes") or []
    return {
        "id": t.id, "name": t.name, "description": t.description or "", "kind": t.kind,
        "own": t.owner_id is not None, "with_cards": t.with_cards,
        "formula": (doc.get("session") or {}).get("formula"),
        "phases": [p.get("desired_name") or p.get("current_name") or "" for p in phases],
        "lanes": [lane.get("name", "") for lane in lanes],
        "card_count": len(doc.get("cards") or []) if t.with_cards else 0,
        "agenda": [{"name": r.get("name"), "duration_seconds": r.get("duration_seconds")}
                   for r in doc.get("agenda") or []],
        "created_at": iso(t.created_at),
    }


def save_as_template(db: Session, ws: WorkshopSession, owner_id: int, *, name, description="",
                     with_cards: bool = False) -> Template:
    """A snapshot of the session's structure (and cards, when asked), its plate and its agenda."""
    if ws.facilitator_id != owner_id:
        raise NotFound(N_("This session does not exist."))
    name = v.text({"name": name}, "name", 200, required=True)
    description = v.text({"description": description}, "description", 2000, default="") or ""
    # a template starts fresh: no names, no votes carried over, the agenda is pending again
    doc = cloning.as_template_document(cloning.session_document(db, ws, with_cards=with_cards))
    t = Template(owner_id=owner_id, formula_id=ws.formula_id, name=name, description=description,
                 kind="session", with_cards=with_cards, document=doc)
    db.add(t)
    db.flush()
    return t


def rename_template(db: Session, template_id: int, owner_id: int, *, name, description=None) -> Template:
    t = get_template(db, template_id, owner_id, own=True)
    t.name = v.text({"name": name}, "name", 200, required=True)
    if description is not None:
        t.description = v.text({"description": description}, "description", 2000, default="") or ""
    t.updated_at = utcnow()
    db.flush()
    return t


def delete_template(db: Session, template_id: int, owner_id: int) -> None:
    t = get_template(db, template_id, owner_id, own=True)
    db.delete(t)
    db.flush()


# ---------------------------------------------------------------------------
# the library


def visible_entries(db: Session, owner_id: int | None):
    """The VNG entries plus ``owner_id``'s own (only the VNG ones for ``None``)."""
    return db.scalars(select(LibraryEntry).where(or_(LibraryEntry.origin == "vng", LibraryEntry.owner_id == owner_id))
                      .order_by(LibraryEntry.origin.desc(), LibraryEntry.name)).all()


def entry_dict(e: LibraryEntry, formula_id: int | None = None) -> dict:
    """An entry for the API and the board. ``card`` is the text a card made from it takes on a board of
    ``formula_id`` (the canonical text without one); ``variants`` is each formula's own text."""
    return {"id": e.id, "name": e.name, "aliases": e.aliases or [], "statements": e.statements or [],
            "channels": e.channels or [], "lane": e.lane, "formulas": e.formulas or [], "tags": e.tags or [],
            "origin": e.origin, "card": card_text(e, formula_id),
            "variants": [{"formula": x.formula.slug, "title": x.title, "statement": x.statement,
                          "channels": list(x.channels)} for x in e.variants]}


def filter_library(entries, q: str = "", channel: str = "", lane: str = "", formula: str = ""):
    """Search (names, aliases, statements, tags) and the channel, lane and formula filters."""
    q = (q or "").strip().casefold()
    out = []
    for e in entries:
        if channel and channel not in (e.channels or []):
            continue
        if lane and e.lane != lane:
            continue
        if formula and formula not in (e.formulas or []):
            continue
        if q:
            haystack = " ".join([e.name, *(e.aliases or []), *(e.statements or []), *(e.tags or [])]).casefold()
            if q not in haystack:
                continue
        out.append(e)
    return out


def get_entry(db: Session, entry_id: int, owner_id: int, *, own: bool = False) -> LibraryEntry:
    e = db.get(LibraryEntry, entry_id)
    if e is None or not e.visible_to(owner_id):
        raise NotFound(N_("This library entry does not exist."), code="unknown_library_entry")
    if own and e.origin == "vng":
        raise Forbidden(N_("VNG entries are not edited in place; copy it to your own library first."),
                        code="vng_entry")
    return e


def _entry_fields(db: Session, data: dict) -> dict:
    known = channel_slugs(db)
    statements = [s for s in (v.clean_text(x) for x in (data.get("statements") or []) if isinstance(x, str)) if s]
    if len(statements) > 10 or any(len(s) > v.LIMITS["statement"] for s in statements):
        raise v._err(N_("At most %(n)d statements of %(limit)d characters."), "too_long", "statements", n=10,
                     limit=v.LIMITS["statement"])
    return {
        "name": v.text(data, "name", 200, required=True),
        "statements": statements,
        "channels": v.channel_list(data, "channels", known, default=[]),
        "lane": v.choice(data, "lane", LIBRARY_LANES, default="innovations"),
        "formulas": [f for f in (data.get("formulas") or []) if isinstance(f, str)][:5],
    }


def create_entry(db: Session, owner_id: int, data: dict) -> LibraryEntry:
    now = utcnow()
    e = LibraryEntry(origin="own", owner_id=owner_id, aliases=[], tags=[], created_at=now, updated_at=now,
                     **_entry_fields(db, data))
    db.add(e)
    db.flush()
    return e


def update_entry(db: Session, entry_id: int, owner_id: int, data: dict) -> LibraryEntry:
    e = get_entry(db, entry_id, owner_id, own=True)
    for key, value in _entry_fields(db, data).items():
        setattr(e, key, value)
    e.updated_at = utcnow()
    db.flush()
    return e


def delete_entry(db: Session, entry_id: int, owner_id: int) -> None:
    e = get_entry(db, entry_id, owner_id, own=True)
    db.delete(e)  # cards keep their text; their link is cleared (ON DELETE SET NULL)
    db.flush()


def copy_entry(db: Session, entry_id: int, owner_id: int) -> LibraryEntry:
    """An own, editable copy of a (VNG) entry; the original stays as it is.

    The copy makes the card the original makes on a board without formula: its canonical statement
    comes first (a card takes the first) and its channels are that card's; the other formulas'
    sentences follow, so the copy is still found by them."""
    src = get_entry(db, entry_id, owner_id)
    card = card_text(src, None)
    first = [card["statement"]] if card["statement"] else []
    statements = first + [x for x in src.statements or [] if x not in card["statement"]]
    return create_entry(db, owner_id, {"name": src.name, "statements": statements[:10],
                                       "channels": card["channels"], "lane": src.lane,
                                       "formulas": list(src.formulas or [])})
