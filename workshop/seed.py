"""Idempotent loading of the VNG seed data in ``seed/``: running it twice changes nothing."""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import cloning
from .board.operations import forget_channels
from .models import Channel, Formula, LibraryEntry, LibraryEntryVariant, Template
from .resources import resource_dir

SEED_DIR = resource_dir("seed")
FORMULA_ORDER = ["snelservice", "ontwerp", "ontwikkel", "toezicht", "beheer"]


def _read(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _assign(obj, values: dict) -> bool:
    """Set only what differs, so an unchanged seed issues no UPDATE at all."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


class Stats(dict):
    def bump(self, kind: str, what: str):
        self.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})[what] += 1


def _upsert(db: Session, stats: Stats, kind: str, existing, model, values: dict):
    if existing is None:
        obj = model(**values)
        db.add(obj)
        stats.bump(kind, "created")
        return obj
    stats.bump(kind, "updated" if _assign(existing, values) else "unchanged")
    return existing


def load_seed(db: Session, seed_dir: Path = SEED_DIR) -> Stats:
    stats = Stats()
    for n, ch in enumerate(_read(seed_dir / "channels.yaml"), 1):
        existing = db.scalars(select(Channel).where(Channel.slug == ch["slug"])).one_or_none()
        _upsert(db, stats, "channels", existing, Channel, {"slug": ch["slug"], "name": ch["name"], "position": n})
    db.flush()
    forget_channels()

    # formulas before the library (variants refer to them), templates after it (their cards need both)
    files = sorted((seed_dir / "formulas").glob("*.yaml"),
                   key=lambda p: (FORMULA_ORDER.index(p.stem) if p.stem in FORMULA_ORDER else 99, p.stem))
    formulas = []
    for n, path in enumerate(files, 1):
        f = _read(path)
        existing = db.scalars(select(Formula).where(Formula.slug == f["slug"])).one_or_none()
        formulas.append(_upsert(db, stats, "formulas", existing, Formula, {
            "slug": f["slug"], "name": f["name"], "aliases": list(f.get("aliases") or []),
            "core_values": list(f.get("core_values") or []), "customer_role": f.get("customer_role") or "",
            "tagline": f.get("tagline"), "description": (f.get("description") or "").strip(),
            "former_core_values": dict(f.get("former_core_values") or {}),
            "personas": list(f.get("personas") or []), "plate": f.get("plate") or {},
            "journey": f.get("journey") or {}, "position": n,
        }))
    db.flush()
    formula_by_slug = {f.slug: f for f in formulas}

    vng: dict[str, LibraryEntry] = {}
    for e in db.scalars(select(LibraryEntry).where(LibraryEntry.origin == "vng")):
        vng.setdefault(e.name, e)
    for entry in _read(seed_dir / "library.yaml"):
        aliases = list(entry.get("aliases") or [])
        # an entry whose canonical name changed is found under its old name, which is now an alias
        existing = next((vng[n] for n in [entry["name"], *aliases] if n in vng), None)
        row = _upsert(db, stats, "library", existing, LibraryEntry, {
            "name": entry["name"], "aliases": aliases,
            "statements": list(entry.get("statements") or []), "channels": list(entry.get("channels") or []),
            "lane": entry.get("lane") or "innovations", "formulas": list(entry.get("formulas") or []),
            "tags": list(entry.get("tags") or []), "origin": "vng", "owner_id": None,
        })
        _load_variants(db, stats, row, entry.get("variants") or {}, formula_by_slug)
    db.flush()

    for formula in formulas:
        existing_t = db.scalars(select(Template).where(Template.kind == "formula",
                                                       Template.formula_id == formula.id)).one_or_none()
        _upsert(db, stats, "templates", existing_t, Template, {
            "kind": "formula", "owner_id": None, "formula_id": formula.id, "name": formula.name,
            "description": formula.description, "with_cards": True,
            "document": cloning.formula_document(db, formula, with_cards=True),
        })
    db.flush()
    return stats


def _load_variants(db: Session, stats: Stats, entry: LibraryEntry, variants: dict, formulas: dict) -> None:
    """Each formula's own text of the entry; variants no longer in the seed are removed."""
    existing = {v.formula_id: v for v in entry.variants}
    keep = set()
    for slug, text in variants.items():
        formula = formulas.get(slug)
        if formula is None:
            raise ValueError(f"library entry {entry.name!r}: unknown formula {slug!r}")
        keep.add(formula.id)
        values = {"formula_id": formula.id, "title": text["title"], "statement": text.get("statement") or "",
                  "channels": list(text.get("channels") or []), "position": FORMULA_ORDER.index(slug)}
        row = existing.get(formula.id)
        if row is None:
            entry.variants.append(LibraryEntryVariant(**values))
            stats.bump("variants", "created")
        else:
            stats.bump("variants", "updated" if _assign(row, values) else "unchanged")
    for formula_id, row in existing.items():
        if formula_id not in keep:
            entry.variants.remove(row)
