"""Facilitation faces: the formula plate view, saving a session as a template,
``GET /api/templates``, and the links that hook these pages into the others."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import reuse
from ..board import BoardError, board_snapshot
from ..cloning import AGREEMENT_HEADINGS, GUARANTEE_HEADINGS
from ..db import db
from ..identity import require_own_session, require_session
from .board import live_config

bp = Blueprint("facilitation", __name__)


class SaveTemplateForm(FlaskForm):
    name = StringField(_l("Template name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    with_cards = BooleanField(_l("Include the cards (otherwise only phases, lanes, plate and agenda)"))


@bp.app_context_processor
def _hooks():
    """Links into the lead's pages (hook variables in base, dashboard and board templates)."""
    if not current_user.is_authenticated:
        return {}
    return {
        "extra_nav": [(_("Templates"), "templates_pages.index"), (_("Library"), "library_pages.index")],
        "dashboard_actions": [(_("Templates"), "templates_pages.index")],
        "session_actions": [(_("Save as template"), "facilitation.save_template")],
        "board_actions": [(_("Formula plate"), "facilitation.plate"),
                          (_("Save as template"), "facilitation.save_template")],
    }


@bp.route("/s/<int:session_id>/plate")
def plate(session_id: int):
    ws, actor = require_session(session_id)
    snapshot = board_snapshot(db.session, ws, actor)
    headings = {"guarantee": list(GUARANTEE_HEADINGS), "agreement": list(AGREEMENT_HEADINGS)}
    for item in snapshot["plate"]:  # headings from older or imported plates are kept
        if item["heading"] not in headings[item["section"]]:
            headings[item["section"]].append(item["heading"])
    config = live_config(ws, actor, snapshot, headings=headings, channels=[])
    return render_template("plate/plate.html", ws=ws, actor=actor, snapshot=snapshot, headings=headings,
                           config=config)


@bp.route("/sessions/<int:session_id>/save-template", methods=["GET", "POST"])
@login_required
def save_template(session_id: int):
    ws = require_own_session(session_id)
    form = SaveTemplateForm()
    if not form.is_submitted():
        form.name.data = ws.title
    if form.validate_on_submit():
        try:
            t = reuse.save_as_template(db.session, ws, current_user.id, name=form.name.data,
                                       description=form.description.data or "", with_cards=form.with_cards.data)
        except BoardError as err:
            flash(err.translated(_), "error")
        else:
            db.session.commit()
            flash(_("Saved as template “%(name)s”.", name=t.name), "info")
            return redirect(url_for("templates_pages.index", _anchor=f"template-{t.id}"))
    status = 400 if form.is_submitted() else 200
    return render_template("templates/save.html", form=form, ws=ws), status


@bp.route("/api/templates")
def api_templates():
    if not current_user.is_authenticated:
        return jsonify(error={"code": "login_required", "message": _("Log in as a facilitator.")}), 401
    rows = reuse.visible_templates(db.session, current_user.id)
    return jsonify(templates=[reuse.template_summary(t) for t in rows], count=len(rows))
