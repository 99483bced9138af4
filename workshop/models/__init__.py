"""The tables. Models know no rules: validation and permissions live in ``workshop.board``."""
from .accounts import Facilitator
from .library import Channel, Formula, LibraryEntry, LibraryEntryVariant
from .workshops import (
    Card,
    Lane,
    LaneKind,
    Participant,
    Phase,
    PlateItem,
    SessionStatus,
    WorkshopSession,
)
from .facilitation import AgendaRound, Vote, VoteRound
from .events import BoardEvent
from .templates import Template

__all__ = [
    "AgendaRound", "BoardEvent", "Card", "Channel", "Facilitator", "Formula", "Lane",
    "LaneKind", "LibraryEntry", "LibraryEntryVariant", "Participant", "Phase", "PlateItem", "SessionStatus",
    "Template", "Vote", "VoteRound", "WorkshopSession",
]
