"""The read API: library, formulas, a session's whole board. Documented in the README."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from ..board import board_snapshot
from ..db import db
from ..models import Formula, LibraryEntry
from .board import library_query
from ..identity import require_session

bp = Blueprint("api", __name__, url_prefix="/api")


def entry_dict(e: LibraryEntry) -> dict:
    return {"id": e.id, "name": e.name, "aliases": e.aliases or [], "statements": e.statements or [],
            "channels": e.channels or [], "lane": e.lane, "formulas": e.formulas or [], "tags": e.tags or [],
            "origin": e.origin}


def filter_library(entries, q: str = "", channel: str = "", lane: str = "", formula: str = ""):
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


@bp.route("/library")
def library():
    owner = current_user.id if current_user.is_authenticated else None
    entries = db.session.scalars(library_query(owner)).all()
    args = {k: request.args.get(k, "")[:100] for k in ("q", "channel", "lane", "formula")}
    found = filter_library(entries, **args)
    return jsonify(entries=[entry_dict(e) for e in found], count=len(found))


@bp.route("/formulas")
def formulas():
    rows = db.session.scalars(select(Formula).order_by(Formula.position)).all()
    return jsonify(formulas=[{
        "slug": f.slug, "name": f.name, "aliases": f.aliases, "core_values": f.core_values,
        "customer_role": f.customer_role, "tagline": f.tagline, "description": f.description,
        "personas": f.personas, "plate": f.plate, "journey": f.journey,
    } for f in rows])


@bp.route("/sessions/<int:session_id>")
def session(session_id: int):
    ws, actor = require_session(session_id)
    return jsonify(board_snapshot(db.session, ws, actor))
