"""Facilitator accounts: creation and password checks (scrypt via Werkzeug)."""
from __future__ import annotations

import functools
import re

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .board.errors import N_, Conflict, ValidationError
from .db import read_transaction, utcnow
from .models import Facilitator

MIN_PASSWORD = 10
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@functools.cache
def _dummy_hash() -> str:
    """A real hash to compare against when the account does not exist (same timing).

    Made on the first failed lookup, not at import: scrypt costs ~0.1 s, and
    every worker, CLI call and test process imports this module.
    """
    return generate_password_hash("not-a-real-password", method="scrypt")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def create_facilitator(db: Session, email: str, password: str, name: str = "") -> Facilitator:
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ValidationError(N_("Enter a valid e-mail address."), field="email")
    if not password or len(password) < MIN_PASSWORD:
        raise ValidationError(N_("A password needs at least %(min)d characters."), field="password",
                              min=MIN_PASSWORD)
    if db.scalar(select(Facilitator.id).where(Facilitator.email == email)) is not None:
        raise Conflict(N_("An account with this e-mail address already exists."), field="email")
    facilitator = Facilitator(email=email, name=(name or "").strip()[:120],
                              password_hash=generate_password_hash(password, method="scrypt"))
    db.add(facilitator)
    db.flush()
    return facilitator


def authenticate(db: Session, email: str, password: str) -> Facilitator | None:
    # read, then check the password (scrypt: ~0.1 s of CPU) with no transaction open;
    # the caller's commit writes last_login_at in a short one of its own
    with read_transaction(db):
        facilitator = db.scalars(select(Facilitator).where(Facilitator.email == normalise_email(email))).one_or_none()
    if facilitator is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(facilitator.password_hash, password or ""):
        return None
    facilitator.last_login_at = utcnow()
    return facilitator


def end_sessions(db: Session, facilitator: Facilitator) -> None:
    """Every login of this account ends: a copied cookie, another browser, a remember-me cookie.

    Logout calls it; so will deactivation and a password change once they exist.
    """
    db.execute(update(Facilitator).where(Facilitator.id == facilitator.id)
               .values(session_version=Facilitator.session_version + 1))
    db.flush()


def facilitator_count(db: Session) -> int:
    return db.scalar(select(func.count(Facilitator.id))) or 0


def session_owner(db: Session, email: str | None) -> Facilitator | None:
    """The account that owns what the CLI creates: by e-mail, or the first account."""
    q = select(Facilitator).order_by(Facilitator.id)
    if email:
        q = q.where(Facilitator.email == normalise_email(email))
    return db.scalars(q).first()
