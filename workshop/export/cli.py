"""``workshop export pdf|json|csv`` and ``workshop import``, attached to the ``workshop`` command."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..cli import main, owner_or_fail


def _session(session_id: int):
    from ..db import db
    from ..models import WorkshopSession

    ws = db.session.get(WorkshopSession, session_id)
    if ws is None:
        raise click.ClickException(f"no session with id {session_id}")
    return ws


def _write(output: str, data: bytes) -> None:
    if output == "-":
        click.get_binary_stream("stdout").write(data)
        return
    Path(output).write_bytes(data)
    click.echo(f"{output}: {len(data):,} bytes", err=True)


@main.group("export")
def export_group():
    """Export a session: PDF report, JSON (re-importable) or CSV of its cards."""


@export_group.command("pdf")
@click.argument("session_id", type=int)
@click.option("-o", "--output", required=True, help="File to write (- for standard output).")
@click.option("--a4", is_flag=True, help="A4 landscape instead of A3 landscape.")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="Language of the report's labels.")
@with_appcontext
def export_pdf(session_id, output, a4, lang):
    """The PDF report of a session."""
    from ..db import db
    from .files import pdf_bytes

    _write(output, pdf_bytes(db.session, _session(session_id), size="A4" if a4 else "A3", lang=lang))


@export_group.command("json")
@click.argument("session_id", type=int)
@click.option("-o", "--output", required=True, help="File to write (- for standard output).")
@with_appcontext
def export_json(session_id, output):
    """The whole session as a JSON board document (see docs/export-format.md)."""
    from ..db import db
    from .files import json_bytes

    _write(output, json_bytes(db.session, _session(session_id)))


@export_group.command("csv")
@click.argument("session_id", type=int)
@click.option("-o", "--output", required=True, help="File to write (- for standard output).")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="Language of the column headings.")
@with_appcontext
def export_csv(session_id, output, lang):
    """All cards as CSV for a Dutch spreadsheet (UTF-8 with BOM, ';')."""
    from ..db import db
    from .files import csv_bytes

    _write(output, csv_bytes(db.session, _session(session_id), lang=lang))


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as-template", is_flag=True, help="Create a template instead of a session.")
@click.option("--facilitator", "email", default=None, help="Owner's e-mail (default: the first account).")
@with_appcontext
def import_command(file, as_template, email):
    """Import a JSON export as a new session (new join code) or as a template."""
    from ..board import BoardError
    from ..db import db
    from ..sessions import format_code
    from . import document

    s = db.session
    owner = owner_or_fail(s, email)
    path = Path(file)
    if path.stat().st_size > document.MAX_BYTES:
        raise click.ClickException(f"{file}: the file is larger than {document.MAX_BYTES // 2**20} MB")
    try:
        result = document.import_document(s, document.parse(path.read_bytes()), facilitator_id=owner.id,
                                          as_template=as_template)
    except BoardError as err:
        s.rollback()
        raise click.ClickException(f"{file}: {err}") from None
    s.commit()
    if as_template:
        click.echo(f"template {result.id} created: {result.name}")
    else:
        click.echo(f"session {result.id} created")
        click.echo(f"id: {result.id}")
        click.echo(f"join code: {format_code(result.join_code)}")
