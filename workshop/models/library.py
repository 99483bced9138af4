from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow


class Channel(Base):
    """A contact channel a card can use (Website (DSO), Telefoon, …)."""

    __tablename__ = "channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)


class Formula(Base):
    """One of the five VNG service formulas, with its plate and journey as seeded."""

    __tablename__ = "formula"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    core_values: Mapped[list] = mapped_column(JSON, default=list)
    customer_role: Mapped[str] = mapped_column(String(40), default="")
    tagline: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    personas: Mapped[list] = mapped_column(JSON, default=list)
    # {"guarantees": {"Beleving": [...], ...}, "agreements": {"HRM en Besturing": [...], ...}}
    plate: Mapped[dict] = mapped_column(JSON, default=dict)
    # {"phases": [{"current", "desired", "statement", "innovations": [...], "backoffice": [...]}]}
    journey: Mapped[dict] = mapped_column(JSON, default=dict)
    # core values a source gives under a former name: {"Flitsformule": ["eenvoudig", ...]}
    former_core_values: Mapped[dict] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(default=0)


class LibraryEntry(Base):
    """An innovation or backoffice idea that participants turn into cards.

    ``name`` is the canonical name (search, links, boards without a formula); ``statements`` and
    ``channels`` gather every formula's text for search and filters. The text a card takes on a board
    of a formula is that formula's variant.
    """

    __tablename__ = "library_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    statements: Mapped[list] = mapped_column(JSON, default=list)
    channels: Mapped[list] = mapped_column(JSON, default=list)  # channel slugs
    lane: Mapped[str] = mapped_column(String(20), default="innovations")
    formulas: Mapped[list] = mapped_column(JSON, default=list)  # formula slugs
    tags: Mapped[list] = mapped_column(JSON, default=list)
    origin: Mapped[str] = mapped_column(String(10), default="vng")  # vng | own
    # own entries belong to the facilitator (organisation) that made them
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("facilitator.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    variants: Mapped[list["LibraryEntryVariant"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", lazy="selectin",
        order_by="LibraryEntryVariant.position")

    def visible_to(self, facilitator_id: int | None) -> bool:
        """VNG entries are everyone's; own entries only their facilitator's (and that one's sessions')."""
        return self.origin == "vng" or self.owner_id == facilitator_id


class LibraryEntryVariant(Base):
    """How one formula's grid prints a library entry: its spelling, its statement, its channels."""

    __tablename__ = "library_entry_variant"
    __table_args__ = (UniqueConstraint("entry_id", "formula_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("library_entry.id", ondelete="CASCADE"), index=True)
    formula_id: Mapped[int] = mapped_column(ForeignKey("formula.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    statement: Mapped[str] = mapped_column(Text, default="")  # every sentence of the cell, in order
    channels: Mapped[list] = mapped_column(JSON, default=list)  # channel slugs of that cell only
    position: Mapped[int] = mapped_column(default=0)  # the formulas' order
    entry: Mapped[LibraryEntry] = relationship(back_populates="variants")
    formula: Mapped[Formula] = relationship(lazy="joined")
