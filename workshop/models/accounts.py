from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class Facilitator(UserMixin, Base):
    __tablename__ = "facilitator"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Part of the login cookie (get_id); raising it ends every session of the account at once,
    # on every device: the signed cookie alone no longer opens anything (web/auth.py).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember cookies: ``<id>.<session_version>``."""
        return f"{self.id}.{self.session_version}"

    @property
    def display_name(self) -> str:
        return self.name or self.email
