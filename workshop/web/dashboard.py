"""The facilitator's dashboard: their sessions, creating, opening, closing and deleting them."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from .. import reuse
from .. import sessions as ops
from ..board import BoardError
from ..db import db, read_transaction
from ..models import Card, Formula, Participant, Template, WorkshopSession
from ..identity import require_own_session
from .forms import ConfirmForm, SessionForm

bp = Blueprint("dashboard", __name__)


@bp.route("/dashboard")
@login_required
def index():
    with read_transaction(db.session):  # ended before presence is asked of Redis
        rows = db.session.execute(
            select(WorkshopSession,
                   select(func.count(Card.id)).where(Card.session_id == WorkshopSession.id).scalar_subquery(),
                   select(func.count(Participant.id)).where(Participant.session_id == WorkshopSession.id,
                                                            Participant.removed_at.is_(None)).scalar_subquery())
            .where(WorkshopSession.facilitator_id == current_user.id)
            .order_by(WorkshopSession.created_at.desc(), WorkshopSession.id.desc())
        ).all()
    present = _present(ws for ws, _cards, _people in rows)
    return render_template("dashboard/index.html", rows=rows, form=ConfirmForm(), format_code=ops.format_code,
                           present=present)


def _present(sessions) -> dict[int, int]:
    """How many people are on each session's board right now (live presence; closed ones skipped)."""
    presence = current_app.extensions.get("presence")
    if presence is None:
        return {}
    return {ws.id: len(presence.people(ws.id)) for ws in sessions if ws.status != "closed"}


def _start_choices():
    choices = [SelectChoice("blank", _("Blank board"))]
    for f in db.session.scalars(select(Formula).order_by(Formula.position)):
        choices.append(SelectChoice(f"formula:{f.slug}",
                                    f"{f.name} ({', '.join(f.aliases[:1])})" if f.aliases else f.name))
    for t in db.session.scalars(select(Template).where(Template.owner_id == current_user.id)
                                .order_by(Template.name)):
        choices.append(SelectChoice(f"template:{t.id}", _("Template: %(name)s", name=t.name)))
    for ws in db.session.scalars(select(WorkshopSession).where(WorkshopSession.facilitator_id == current_user.id)
                                 .order_by(WorkshopSession.created_at.desc()).limit(50)):
        choices.append(SelectChoice(f"session:{ws.id}", _("Copy of: %(title)s", title=ws.title)))
    return choices


@bp.route("/sessions/new", methods=["GET", "POST"])
@login_required
def new():
    form = SessionForm()
    form.start.choices = _start_choices()
    if request.method == "GET" and request.args.get("start"):
        form.start.data = request.args["start"]
        form.with_cards.data = True
    if form.validate_on_submit():
        kind, _sep, ref = form.start.data.partition(":")
        kwargs = {}
        if kind == "formula":
            kwargs["formula"] = ops.find_formula(db.session, ref)
        elif kind == "template":
            try:
                kwargs["template"] = reuse.get_template(db.session, int(ref), current_user.id)
            except BoardError:
                abort(404)
        elif kind == "session":
            kwargs["source"] = require_own_session(int(ref))
        try:
            ws = ops.create_session(db.session, current_user.id, title=form.title.data,
                                    municipality=form.municipality.data or "", product=form.product.data or "",
                                    with_cards=form.with_cards.data, session_date=form.session_date.data,
                                    **kwargs)
        except BoardError as err:
            flash(err.translated(_), "error")
        else:
            db.session.commit()
            flash(_("Session created. Share the code %(code)s with the participants.",
                    code=ops.format_code(ws.join_code)), "info")
            return redirect(url_for("board.show", session_id=ws.id))
    status = 400 if request.method == "POST" else 200
    return render_template("dashboard/new.html", form=form), status


@bp.route("/sessions/<int:session_id>/status", methods=["POST"])
@login_required
def set_status(session_id: int):
    ws = require_own_session(session_id)
    try:
        ops.set_status(db.session, ws, request.form.get("status", ""))
    except BoardError as err:
        flash(err.translated(_), "error")
        return redirect(url_for("dashboard.index")), 400
    db.session.commit()
    return redirect(request.form.get("next") == "board" and url_for("board.show", session_id=ws.id)
                    or url_for("dashboard.index"))


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
@login_required
def delete(session_id: int):
    ws = require_own_session(session_id)
    title = ws.title
    ops.delete_session(db.session, ws)
    db.session.commit()
    flash(_("Session “%(title)s” and everything in it has been deleted.", title=title), "info")
    return redirect(url_for("dashboard.index"))
