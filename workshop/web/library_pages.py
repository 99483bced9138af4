"""Managing the innovation library: own entries are added and edited here; VNG entries are read-only."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import reuse
from ..board import BoardError
from ..db import db
from ..models import Channel, Formula
from .forms import ConfirmForm

bp = Blueprint("library_pages", __name__, url_prefix="/library")


def _form_data() -> dict:
    f = request.form
    return {"name": f.get("name", ""), "statements": [s for s in f.get("statements", "").splitlines() if s.strip()],
            "channels": f.getlist("channels"), "lane": f.get("lane", "innovations"),
            "formulas": f.getlist("formulas")}


def _page(entry=None, values=None, status=200):
    own_only = request.args.get("show") == "own"
    q = request.args.get("q", "")[:100]
    entries = [e for e in reuse.visible_entries(db.session, current_user.id) if not own_only or e.origin == "own"]
    if q:
        entries = reuse.filter_library(entries, q=q)
    channels = db.session.scalars(select(Channel).order_by(Channel.position)).all()
    formulas = db.session.scalars(select(Formula).order_by(Formula.position)).all()
    return render_template("library/index.html", entries=entries, entry=entry, values=values or {},
                           channels=channels, channel_names={c.slug: c.name for c in channels},
                           formulas=formulas, form=ConfirmForm(), own_only=own_only, q=q), status


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    if request.method == "POST":
        data = _form_data()
        try:
            e = reuse.create_entry(db.session, current_user.id, data)
        except BoardError as err:
            db.session.rollback()
            flash(err.translated(_), "error")
            return _page(values=data, status=400)
        db.session.commit()
        flash(_("“%(name)s” added to your library.", name=e.name), "info")
        return redirect(url_for("library_pages.index", _anchor=f"entry-{e.id}"))
    return _page()


@bp.route("/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit(entry_id: int):
    try:
        entry = reuse.get_entry(db.session, entry_id, current_user.id, own=True)
    except BoardError as err:
        flash(err.translated(_), "error")
        return redirect(url_for("library_pages.index")), err.status
    if request.method == "POST":
        data = _form_data()
        try:
            reuse.update_entry(db.session, entry_id, current_user.id, data)
        except BoardError as err:
            db.session.rollback()
            flash(err.translated(_), "error")
            return _page(entry=entry, values=data, status=400)
        db.session.commit()
        flash(_("Library entry saved."), "info")
        return redirect(url_for("library_pages.index", _anchor=f"entry-{entry_id}"))
    values = {"name": entry.name, "statements": entry.statements or [], "channels": entry.channels or [],
              "lane": entry.lane, "formulas": entry.formulas or []}
    return _page(entry=entry, values=values)


@bp.route("/<int:entry_id>/delete", methods=["POST"])
@login_required
def delete(entry_id: int):
    try:
        reuse.delete_entry(db.session, entry_id, current_user.id)
    except BoardError as err:
        db.session.rollback()
        flash(err.translated(_), "error")
        return redirect(url_for("library_pages.index")), err.status
    db.session.commit()
    flash(_("Library entry deleted."), "info")
    return redirect(url_for("library_pages.index"))


@bp.route("/<int:entry_id>/copy", methods=["POST"])
@login_required
def copy(entry_id: int):
    try:
        e = reuse.copy_entry(db.session, entry_id, current_user.id)
    except BoardError as err:
        db.session.rollback()
        flash(err.translated(_), "error")
        return redirect(url_for("library_pages.index")), err.status
    db.session.commit()
    flash(_("Copied to your library; you can now edit “%(name)s”.", name=e.name), "info")
    return redirect(url_for("library_pages.edit", entry_id=e.id))
