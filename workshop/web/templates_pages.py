"""The template library: formula templates and the facilitator's own; preview, rename, delete, start."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import reuse
from ..board import BoardError
from ..db import db
from ..models import Formula
from .forms import ConfirmForm

bp = Blueprint("templates_pages", __name__, url_prefix="/templates")


def _start_value(t) -> str:
    if t.owner_id is None and t.formula_id:
        formula = db.session.get(Formula, t.formula_id)
        if formula is not None:
            return f"formula:{formula.slug}"
    return f"template:{t.id}"


@bp.route("")
@login_required
def index():
    rows = reuse.visible_templates(db.session, current_user.id)
    items = [(t, reuse.template_summary(t), _start_value(t)) for t in rows]
    formulas = {f.id: f for f in db.session.scalars(select(Formula))}
    return render_template("templates/index.html", items=items, formulas=formulas, form=ConfirmForm())


def _fail(err: BoardError):
    flash(err.translated(_), "error")
    return redirect(url_for("templates_pages.index")), err.status


@bp.route("/<int:template_id>/rename", methods=["POST"])
@login_required
def rename(template_id: int):
    try:
        t = reuse.rename_template(db.session, template_id, current_user.id, name=request.form.get("name", ""),
                                  description=request.form.get("description"))
    except BoardError as err:
        db.session.rollback()
        return _fail(err)
    db.session.commit()
    flash(_("Template renamed to “%(name)s”.", name=t.name), "info")
    return redirect(url_for("templates_pages.index", _anchor=f"template-{t.id}"))


@bp.route("/<int:template_id>/delete", methods=["POST"])
@login_required
def delete(template_id: int):
    try:
        reuse.delete_template(db.session, template_id, current_user.id)
    except BoardError as err:
        db.session.rollback()
        return _fail(err)
    db.session.commit()
    flash(_("Template deleted."), "info")
    return redirect(url_for("templates_pages.index"))
