"""The read API: library, formulas, a session's whole board. Documented in the README."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from ..board import board_snapshot
from ..db import db
from ..models import Formula
from ..reuse import entry_dict, filter_library, visible_entries
from ..identity import require_session

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.route("/library")
def library():
    """``?session=<id>``: the library as that session's board shows it (its facilitator's own entries
    included), for the session's members only."""
    owner = current_user.id if current_user.is_authenticated else None
    formula_id = None  # each entry's ``card`` is the text it gives on that session's board
    if request.args.get("session", "").isdigit():
        ws, _actor = require_session(int(request.args["session"]))
        owner, formula_id = ws.facilitator_id, ws.formula_id
    entries = visible_entries(db.session, owner)
    args = {k: request.args.get(k, "")[:100] for k in ("q", "channel", "lane", "formula")}
    found = filter_library(entries, **args)
    return jsonify(entries=[entry_dict(e, formula_id) for e in found], count=len(found))


@bp.route("/formulas")
def formulas():
    rows = db.session.scalars(select(Formula).order_by(Formula.position)).all()
    return jsonify(formulas=[{
        "slug": f.slug, "name": f.name, "aliases": f.aliases, "core_values": f.core_values,
        "customer_role": f.customer_role, "tagline": f.tagline, "description": f.description,
        "personas": f.personas, "plate": f.plate, "journey": f.journey,
        "former_core_values": f.former_core_values or {},
    } for f in rows])


@bp.route("/sessions/<int:session_id>")
def session(session_id: int):
    ws, actor = require_session(session_id)
    return jsonify(board_snapshot(db.session, ws, actor))
