from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class BoardEvent(Base):
    """The per-session event log: one row per applied operation, in sequence order.

    Clients catch up from it after a reconnect; ``op_id`` makes a retried
    operation idempotent.
    """

    __tablename__ = "board_event"
    __table_args__ = (
        UniqueConstraint("session_id", "seq"),
        UniqueConstraint("session_id", "op_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"))
    seq: Mapped[int]
    op_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(40), default="")  # "p:12" or "f:3"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
