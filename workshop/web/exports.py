"""Downloads of a session (PDF, JSON, CSV) for its facilitator, and importing a JSON export."""
from __future__ import annotations

import json
import sys

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from ..board import BoardError
from ..db import db, read_transaction
from ..export import document, files, pdf
from ..export.report import build_report
from ..sessions import format_code
from ..identity import require_facilitation, require_session

bp = Blueprint("exports", __name__)


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


RENDER_TIMEOUT = 120  # seconds: far above the largest board's render


def _under_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover
        return False
    return monkey.is_module_patched("socket")


def _render_off_the_hub(report: dict, size: str, lang: str) -> bytes:
    """Under gevent, draw the PDF in a process of its own (export/render_process.py).

    The report dict is read before, in a short read transaction that has ended.
    Rendering is seconds of pure-Python CPU: in a thread it would share the
    interpreter lock with every live board of this worker (adds then waited
    hundreds of milliseconds behind it); in a child process, at a lower CPU
    priority, this greenlet just waits on a pipe and the hub stays free.
    """
    if not _under_gevent():  # the development server and tests: no hub to keep free
        return pdf.render_pdf(report, pagesize=size, lang=lang)
    from gevent import subprocess

    done = subprocess.run([sys.executable, "-m", "workshop.export.render_process", size, lang],
                          input=json.dumps(report).encode(), capture_output=True, timeout=RENDER_TIMEOUT)
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF-"):
        raise RuntimeError(f"PDF render failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return done.stdout


@bp.route("/s/<int:session_id>/export.pdf")
def pdf_download(session_id: int):
    size = "A4" if request.args.get("size", "").lower() == "a4" else "A3"
    # read in one short read transaction, then render with none open: a render of
    # seconds never holds the database (on SQLite a read takes no write lock at all)
    with read_transaction(db.session):
        ws, _actor = require_facilitation(session_id)
        report = build_report(db.session, ws)
    data = _render_off_the_hub(report, size, str(get_locale()))  # the UI's language
    return _download(data, "application/pdf", files.filename(ws, "pdf"))


@bp.route("/s/<int:session_id>/report")
def report_page(session_id: int):
    """The report as an accessible, printable web page: the facilitator and this session's participants."""
    from ..export.labels import labels as labels_for
    from ..export.summary import report_view

    with read_transaction(db.session):
        ws, actor = require_session(session_id)
        report = build_report(db.session, ws)
    view = report_view(report, labels_for(str(get_locale())))
    return render_template("exports/report.html", report=report, is_facilitator=actor.is_facilitator, **view)


@bp.route("/s/<int:session_id>/export.json")
def json_download(session_id: int):
    with read_transaction(db.session):
        ws, _actor = require_facilitation(session_id)
        data = files.json_bytes(db.session, ws)
    return _download(data, "application/json", files.filename(ws, "json"))


@bp.route("/s/<int:session_id>/export.csv")
def csv_download(session_id: int):
    with read_transaction(db.session):
        ws, _actor = require_facilitation(session_id)
        data = files.csv_bytes(db.session, ws, lang=str(get_locale()))
    return _download(data, "text/csv; charset=utf-8", files.filename(ws, "csv"))


class ImportForm(FlaskForm):
    file = FileField(_l("JSON export file"), validators=[FileRequired()])
    target = RadioField(_l("Import as"), choices=[SelectChoice("session", _l("a new session")),
                                                     SelectChoice("template", _l("a template"))],
                        default="session")


@bp.route("/sessions/import", methods=["GET", "POST"])
@login_required
def import_file():
    try:
        form = ImportForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = ImportForm(formdata=None)
        form.file.errors = [_("The file is larger than %(limit)d MB.", limit=document.MAX_BYTES // 2**20)]
        return render_template("exports/import.html", form=form), 413
    if submitted:
        data = form.file.data.read(document.MAX_BYTES + 1)
        try:
            result = document.import_document(db.session, document.parse(data), facilitator_id=current_user.id,
                                              as_template=form.target.data == "template")
        except BoardError as err:
            db.session.rollback()
            form.file.errors = [err.translated(_)]
        else:
            db.session.commit()
            if form.target.data == "template":
                flash(_("Template “%(name)s” imported.", name=result.name), "info")
                return redirect(url_for("dashboard.new", start=f"template:{result.id}"))
            flash(_("Session imported. Share the code %(code)s with the participants.",
                    code=format_code(result.join_code)), "info")
            return redirect(url_for("board.show", session_id=result.id))
    status = 400 if request.method == "POST" else 200
    return render_template("exports/import.html", form=form), status
