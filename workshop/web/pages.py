"""Public pages: the home page with the code field, and joining a session."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..board import BoardError
from ..db import db, read_transaction
from ..sessions import find_by_code, format_code, join_session, normalise_code
from .forms import CodeForm, JoinForm
from ..identity import actor_for, remember_participant
from .ratelimit import client_address, limiter, too_many

bp = Blueprint("pages", __name__)


@bp.route("/", methods=["GET", "POST"])
def home():
    form = CodeForm()
    if form.validate_on_submit():
        # unknown codes are limited per address so codes cannot be guessed (docs/security.md)
        # counted before the lookup, so concurrent guesses cannot overtake the count
        attempt = limiter().attempt(("join_ip", client_address()))
        if not attempt.allowed:
            return too_many(attempt.verdict, "home.html", form=form)
        with read_transaction(db.session):  # ended before the refund waits on Redis
            ws = find_by_code(db.session, form.code.data)
        if ws is not None:
            attempt.refund()
        if ws is not None and ws.status != "closed":
            return redirect(url_for("pages.join", code=ws.join_code))
        flash(_("No open session has this code. Check the code and try again."), "error")
        return render_template("home.html", form=form), 404
    return render_template("home.html", form=form)


@bp.route("/j/<code>", methods=["GET", "POST"])
def join(code: str):
    attempt = limiter().attempt(("join_ip", client_address()))
    if not attempt.allowed:
        return too_many(attempt.verdict, "error.html", title=_("Too many attempts"), message="")
    with read_transaction(db.session):  # ended before the refund waits on Redis
        ws = find_by_code(db.session, code)
    if ws is None:
        abort(404)
    attempt.refund()
    if normalise_code(code) != code:
        return redirect(url_for("pages.join", code=ws.join_code))
    if actor_for(ws) is not None:
        return redirect(url_for("board.show", session_id=ws.id))
    if ws.status == "closed":
        return render_template("join_closed.html", ws=ws), 410
    form = JoinForm()
    if form.validate_on_submit():
        try:
            participant, token = join_session(db.session, ws, form.display_name.data)
        except BoardError as err:
            flash(err.translated(_), "error")
        else:
            db.session.commit()
            remember_participant(ws.id, token)
            return redirect(url_for("board.show", session_id=ws.id))
    status = 400 if request.method == "POST" else 200
    return render_template("join.html", form=form, ws=ws, code=format_code(ws.join_code)), status
