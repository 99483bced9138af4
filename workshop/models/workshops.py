from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow


class SessionStatus(str, enum.Enum):
    draft = "draft"
    open = "open"
    closed = "closed"


class LaneKind(str, enum.Enum):
    current = "current"
    desired = "desired"
    innovations = "innovations"
    backoffice = "backoffice"
    custom = "custom"


class WorkshopSession(Base):
    """A pressure-cooker session (called so to avoid clashing with Flask's ``session``)."""

    __tablename__ = "workshop_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("facilitator.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(120), default="")
    product: Mapped[str] = mapped_column(String(200), default="")
    formula_id: Mapped[int | None] = mapped_column(ForeignKey("formula.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default=SessionStatus.draft.value)
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    session_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # last sequence number handed out; the event log continues from here
    seq: Mapped[int] = mapped_column(default=0)
    # facilitation settings
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    edit_policy: Mapped[str] = mapped_column(String(10), default="all")  # all | own
    focus_phase_id: Mapped[int | None]
    focus_lane_id: Mapped[int | None]
    # formula plate of this session
    tagline: Mapped[str] = mapped_column(String(200), default="")
    personas: Mapped[list] = mapped_column(JSON, default=list)
    participants_anonymised_at: Mapped[datetime | None]

    facilitator = relationship("Facilitator")
    formula = relationship("Formula")
    phases: Mapped[list["Phase"]] = relationship(
        back_populates="workshop_session", order_by="(Phase.position, Phase.id)",
        cascade="all, delete-orphan", passive_deletes=True)
    lanes: Mapped[list["Lane"]] = relationship(
        back_populates="workshop_session", order_by="(Lane.position, Lane.id)",
        cascade="all, delete-orphan", passive_deletes=True)
    cards: Mapped[list["Card"]] = relationship(
        back_populates="workshop_session", order_by="(Card.position, Card.id)",
        cascade="all, delete-orphan", passive_deletes=True)
    participants: Mapped[list["Participant"]] = relationship(
        back_populates="workshop_session", order_by="Participant.id",
        cascade="all, delete-orphan", passive_deletes=True)


class Participant(Base):
    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(60))
    # sha256 of the secret token kept in the participant's cookie
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]

    workshop_session = relationship("WorkshopSession", back_populates="participants")


class Phase(Base):
    """A column of the journey grid."""

    __tablename__ = "phase"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True)
    position: Mapped[float] = mapped_column(Float, default=0)
    current_name: Mapped[str | None] = mapped_column(String(120))  # None: "Geen", no such phase today
    desired_name: Mapped[str] = mapped_column(String(120), default="")
    statement: Mapped[str] = mapped_column(String(300), default="")

    workshop_session = relationship("WorkshopSession", back_populates="phases")


class Lane(Base):
    """A row of the journey grid."""

    __tablename__ = "lane"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=LaneKind.custom.value)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[float] = mapped_column(Float, default=0)

    workshop_session = relationship("WorkshopSession", back_populates="lanes")


class Card(Base):
    __tablename__ = "card"
    __table_args__ = (Index("ix_card_cell", "phase_id", "lane_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phase.id", ondelete="CASCADE"))
    lane_id: Mapped[int] = mapped_column(ForeignKey("lane.id", ondelete="CASCADE"), index=True)
    # fractional position within the cell; the server assigns it
    position: Mapped[float] = mapped_column(Float, default=0)
    title: Mapped[str] = mapped_column(String(200))
    statement: Mapped[str] = mapped_column(String(500), default="")
    channels: Mapped[list] = mapped_column(JSON, default=list)  # channel slugs
    author_participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), index=True)
    author_facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("facilitator.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(60), default="")
    library_entry_id: Mapped[int | None] = mapped_column(ForeignKey("library_entry.id", ondelete="SET NULL"))
    # votes fixed by the last closed vote on this card's lane
    votes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    workshop_session = relationship("WorkshopSession", back_populates="cards")


class PlateItem(Base):
    """A guarantee (zekerheid) or internal agreement (interne afspraak) on a session's plate."""

    __tablename__ = "plate_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(20))  # guarantee | agreement
    heading: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[float] = mapped_column(Float, default=0)
