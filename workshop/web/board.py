"""The board page, and board operations over plain HTTP (the websocket carries the same ones)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..board import BoardError, apply_operation, board_snapshot
from ..board.validate import LIMITS
from ..db import db
from ..models import Channel, Formula
from ..reuse import entry_dict, visible_entries
from ..sessions import format_code
from .forms import ConfirmForm
from ..identity import require_session

bp = Blueprint("board", __name__)


def live_config(ws, actor, snapshot: dict, **extra) -> dict:
    """What a page that goes live (board, plate) tells live.js: who, where to send, from which seq."""
    return {
        "sessionId": ws.id, "seq": snapshot["seq"], "isFacilitator": actor.is_facilitator,
        "me": {"kind": actor.kind, "id": actor.id, "name": actor.name},
        "opsUrl": url_for("board.operation", session_id=ws.id),
        "snapshotUrl": url_for("api.session", session_id=ws.id),
        "wsPath": f"/ws/sessions/{ws.id}",  # the flask-sock route (url_for would give an absolute ws:// URL)
        **extra,
    }


@bp.route("/s/<int:session_id>")
def show(session_id: int):
    ws, actor = require_session(session_id)
    snapshot = board_snapshot(db.session, ws, actor)
    channels = db.session.scalars(select(Channel).order_by(Channel.position)).all()
    formulas = db.session.scalars(select(Formula).order_by(Formula.position)).all()
    library = visible_entries(db.session, ws.facilitator_id)
    cells: dict[tuple[int, int], list] = {}
    for card in snapshot["cards"]:
        cells.setdefault((card["phase_id"], card["lane_id"]), []).append(card)
    channel_names = {c.slug: c.name for c in channels}
    config = live_config(ws, actor, snapshot, libraryUrl=url_for("api.library", session=ws.id),
                         channels=[{"slug": c.slug, "name": c.name} for c in channels], limits=LIMITS)
    return render_template(
        "board/board.html", ws=ws, actor=actor, snapshot=snapshot, cells=cells, channels=channels,
        channel_names=channel_names, formulas=formulas, library=library, config=config,
        library_json=[entry_dict(e, ws.formula_id) for e in library],
        join_code=format_code(ws.join_code), form=ConfirmForm(),
        join_url=url_for("pages.join", code=ws.join_code, _external=True),
    )


@bp.route("/api/sessions/<int:session_id>/operations", methods=["POST"])
def operation(session_id: int):
    # The body is already in memory (web/request_body.py reads it before the app
    # runs); parse it before the transaction starts in require_session's first query.
    op = request.get_json(silent=True)
    ws, actor = require_session(session_id)  # strangers are refused before a malformed body is
    if op is None:
        return jsonify(error={"code": "malformed", "message": _("The request body must be JSON.")}), 400
    try:
        result = apply_operation(db.session, ws, actor, op)
        db.session.commit()
    except BoardError as err:
        db.session.rollback()
        return jsonify(error=err.as_dict(_), op_id=op.get("op_id") if isinstance(op, dict) else None), err.status
    if not result.duplicate:
        current_app.extensions["hub"].publish(ws.id, result.event)
    return jsonify(ok=True, seq=result.seq, duplicate=result.duplicate, event=result.event)
