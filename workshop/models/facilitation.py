from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class AgendaRound(Base):
    """A timed round of the session's agenda. The countdown derives from ``ends_at``."""

    __tablename__ = "agenda_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(120))
    duration_seconds: Mapped[int] = mapped_column(default=900)
    instructions: Mapped[str] = mapped_column(Text, default="")
    focus_lane_kind: Mapped[str | None] = mapped_column(String(20))
    focus_phase_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|running|paused|done
    started_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    remaining_seconds: Mapped[int | None]  # while paused


class VoteRound(Base):
    """Dot voting on one lane; counts stay hidden until revealed."""

    __tablename__ = "vote_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True)
    lane_id: Mapped[int | None] = mapped_column(ForeignKey("lane.id", ondelete="CASCADE"))
    votes_per_participant: Mapped[int] = mapped_column(default=3)
    max_per_card: Mapped[int] = mapped_column(default=3)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open|revealed|closed
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    revealed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class Vote(Base):
    __tablename__ = "vote"
    __table_args__ = (UniqueConstraint("vote_round_id", "card_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_round_id: Mapped[int] = mapped_column(ForeignKey("vote_round.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    count: Mapped[int] = mapped_column(default=1)
