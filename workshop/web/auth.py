"""Facilitator login, logout and registration of the first account."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from .. import accounts
from ..board import BoardError
from ..db import db, read_transaction
from ..models import Facilitator
from .forms import LoginForm, RegisterForm
from .ratelimit import client_address, limiter, too_many

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"


@login_manager.user_loader
def _load(user_id: str):
    """The account of a login cookie (``<id>.<session_version>``), unless that login has been ended."""
    try:
        account_id, version = (int(part) for part in str(user_id).split("."))
    except (TypeError, ValueError):
        return None  # also a cookie from before session versions: log in again
    if db.session().in_transaction():  # asked for in the middle of a unit of work: part of it
        facilitator = db.session.get(Facilitator, account_id)
    else:
        # on its own: a short read, so a request that then waits on Redis or a password hash holds nothing
        with read_transaction(db.session):
            facilitator = db.session.get(Facilitator, account_id)
    if facilitator is None or facilitator.session_version != version:
        return None
    return facilitator


def registration_open() -> bool:
    return bool(current_app.config.get("ALLOW_REGISTRATION")) or accounts.facilitator_count(db.session) == 0


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        # failed attempts are limited per address and per account (docs/security.md)
        # (counted before the password is checked, so concurrent guesses cannot overtake the count)
        account = accounts.normalise_email(form.email.data)
        attempt = limiter().attempt(("login_ip", client_address()), ("login_account", account))
        if not attempt.allowed:
            return too_many(attempt.verdict, "auth/login.html", form=form, registration_open=registration_open())
        facilitator = accounts.authenticate(db.session, form.email.data, form.password.data)
        if facilitator is not None:
            db.session.commit()
            attempt.refund()
            login_user(facilitator, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Unknown e-mail address or wrong password."), "error")
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, registration_open=registration_open()), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # the CSRF token is checked for every POST by CSRFProtect (web/security.py)
    accounts.end_sessions(db.session, current_user)  # server-side: a copied cookie stops working too
    db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("pages.home"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if not registration_open():
        flash(_("Registration is closed. Ask a facilitator of your organisation for an account."), "info")
        return redirect(url_for("auth.login"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            facilitator = accounts.create_facilitator(db.session, form.email.data, form.password.data,
                                                      form.name.data)
        except BoardError as err:
            flash(err.translated(_), "error")
        else:
            db.session.commit()
            login_user(facilitator)
            flash(_("Welcome! Your account has been created."), "info")
            return redirect(url_for("dashboard.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status
