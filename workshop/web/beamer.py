"""The room's faces: the projector view of a session and the QR code of its join link.

Both are the facilitator's alone: the projector view shows the join code and follows the
live board read-only; the QR code is drawn on the server (segno, SVG) so no third-party
script reaches the page."""
from __future__ import annotations

import segno
from flask import Blueprint, Response, render_template, url_for

from ..board import board_snapshot
from ..db import db
from ..identity import require_facilitation
from ..sessions import format_code
from .board import live_config

bp = Blueprint("beamer", __name__)


def join_url(ws) -> str:
    return url_for("pages.join", code=ws.join_code, _external=True)


def qr_svg(data: str) -> str:
    """An SVG QR code that scales to any size (viewBox only) with a 4-module quiet zone.
    Error correction M: it still reads with a projector's glare or a keystone-distorted image."""
    qr = segno.make(data, error="m", micro=False)
    return qr.svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr-code")


@bp.route("/s/<int:session_id>/join-qr.svg")
def join_qr(session_id: int):
    ws, _actor = require_facilitation(session_id)
    svg = '<?xml version="1.0" encoding="utf-8"?>\n' + qr_svg(join_url(ws)).replace(
        "<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@bp.route("/s/<int:session_id>/beamer")
def show(session_id: int):
    ws, actor = require_facilitation(session_id)
    snapshot = board_snapshot(db.session, ws, actor)
    config = live_config(ws, actor, snapshot, channels=[], readOnly=True)
    return render_template("board/beamer.html", ws=ws, actor=actor, snapshot=snapshot, config=config,
                           join_code=format_code(ws.join_code), join_url=join_url(ws))
