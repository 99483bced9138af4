"""The ``workshop`` command: a Flask CLI group (``workshop --help``)."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=False,
             add_version_option=False)
def main():
    """Pressure-cooker workshop app: customer-journey sessions with the VNG service formulas."""


@main.group()
def db():
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision):
    """Create or migrate the database to the newest schema."""
    from .migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo("database is at revision " + revision)


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision):
    """Go back to an older schema revision (e.g. ``base``)."""
    from .migrate import downgrade

    downgrade(current_app.config["DATABASE_URL"], revision)


@db.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message):
    """Generate a migration from the difference between models and database."""
    from .migrate import revision

    revision(current_app.config["DATABASE_URL"], message)


@main.command()
@with_appcontext
def seed():
    """Load the VNG channels, library, formulas and formula templates (idempotent)."""
    from .db import db as database
    from .seed import load_seed

    stats = load_seed(database.session)
    database.session.commit()
    for kind, counts in stats.items():
        click.echo(f"{kind}: {counts['created']} created, {counts['updated']} updated, "
                   f"{counts['unchanged']} unchanged")


@main.group()
def facilitator():
    """Facilitator accounts."""


@facilitator.command("create")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@with_appcontext
def facilitator_create(email, name, password):
    """Create a facilitator account."""
    from .accounts import create_facilitator
    from .board import BoardError
    from .db import db as database

    try:
        f = create_facilitator(database.session, email, password, name)
    except BoardError as err:
        raise click.ClickException(str(err)) from None
    database.session.commit()
    click.echo(f"facilitator {f.email} created (id {f.id})")


@main.group("session")
def session_group():
    """Workshop sessions."""


@session_group.command("create")
@click.option("--title", required=True)
@click.option("--formula", "formula_name", default=None,
              help="Formula name or alias: Snelservice/Flits, Ontwerp/Wegwijs, Ontwikkel/Co-creatie, "
                   "Toezicht/Handhaaf, Beheer. Without it: a blank board.")
@click.option("--with-cards", is_flag=True, help="Include the formula's innovation and backoffice cards.")
@click.option("--facilitator", "email", default=None, help="Owner's e-mail (default: the first account).")
@click.option("--municipality", default="")
@click.option("--product", default="")
@click.option("--date", "session_date", default=None, help="YYYY-MM-DD")
@with_appcontext
def session_create(title, formula_name, with_cards, email, municipality, product, session_date):
    """Create a session; prints its id and join code."""
    from .board import BoardError
    from .db import db as database
    from .sessions import create_session, find_formula, format_code

    s = database.session
    owner = owner_or_fail(s, email)
    formula = None
    if formula_name:
        formula = find_formula(s, formula_name)
        if formula is None:
            raise click.ClickException(f"unknown formula {formula_name!r} (did you run `workshop seed`?)")
    try:
        ws = create_session(s, owner.id, title=title, formula=formula, with_cards=with_cards,
                            municipality=municipality, product=product,
                            session_date=date.fromisoformat(session_date) if session_date else None)
    except (BoardError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    s.commit()
    click.echo(f"session {ws.id} created")
    click.echo(f"id: {ws.id}")
    click.echo(f"join code: {format_code(ws.join_code)}")


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--production", is_flag=True,
              help="gunicorn with the gevent worker and the packaged settings (workshop/gunicorn_conf.py); "
                   "BIND, WEB_CONCURRENCY, … from the environment.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Local server only.")
@click.option("--port", default=5000, show_default=True, type=int, help="Local server only.")
@click.option("--debug", is_flag=True, help="Local server only.")
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve(production, host, port, debug, gunicorn_args):
    """Run the app: for local use (threaded server), or with --production as in docs/deployment.md.

    With --production, further arguments go to gunicorn (e.g. ``--bind 127.0.0.1:9000``).
    """
    if production:
        # exec, so gunicorn's arbiter starts from a clean interpreter: its gevent workers must
        # patch the standard library before anything imports psycopg or the app
        import os

        argv = [sys.executable, "-m", "gunicorn", "-c", "python:workshop.gunicorn_conf", *gunicorn_args,
                "workshop.wsgi:app"]
        os.execv(sys.executable, argv)
        return
    if gunicorn_args:
        raise click.UsageError("extra arguments are for gunicorn: use --production")
    from werkzeug.serving import run_simple

    app = create_app()
    click.echo(f"serving on http://{host}:{port}")
    # run_simple rather than app.run: Flask refuses app.run inside a CLI command
    run_simple(host, port, app, threaded=True, use_reloader=debug, use_debugger=debug)


def owner_or_fail(s, email: str | None):
    """The account that will own what a command creates (accounts.session_owner), or a clear error."""
    from .accounts import session_owner

    owner = session_owner(s, email)
    if owner is None:
        raise click.ClickException(f"no facilitator account {email}" if email else
                                   "no facilitator account: run `workshop facilitator create EMAIL` first")
    return owner


@main.group("privacy")
def privacy_group():
    """Personal data (AVG): anonymise participants' names after the retention period."""


@privacy_group.command("anonymise-expired")
@click.option("--days", type=int, default=None,
              help="Retention in days after closing (default: RETENTION_DAYS, 90).")
@click.option("--dry-run", is_flag=True, help="Only list the sessions that would be anonymised.")
@with_appcontext
def anonymise_expired_command(days, dry_run):
    """Replace participants' names of sessions closed more than N days ago by "Deelnemer 1", "Deelnemer 2" …"""
    from .db import db
    from .privacy import anonymise_expired, expired_sessions

    days = days if days is not None else int(current_app.config["RETENTION_DAYS"])
    if days < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--days")
    if dry_run:
        for ws in expired_sessions(db.session, days):
            click.echo(f"{ws.id}\t{ws.closed_at:%Y-%m-%d}\t{ws.title}")
        return
    result = anonymise_expired(db.session, days)
    db.session.commit()
    click.echo(f"anonymised {result.participants} participants in {result.sessions} sessions "
               f"({result.cards} cards, {result.events} log entries) closed more than {days} days ago")


def init_app(app) -> None:
    """The commands of ``workshop`` also under ``flask --app wsgi`` (app.cli)."""
    # FlaskGroup looks a command it did not know before loading the app up in app.cli
    for name, command in main.commands.items():
        app.cli.commands.setdefault(name, command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


# ``workshop export pdf|json|csv`` and ``workshop import`` live beside the export code
from .export import cli as _export_cli  # noqa: E402,F401
