"""Plain-dict views of board rows, shared by snapshots, events and exports."""
from __future__ import annotations

from ..models import Card, Lane, Phase, PlateItem


def iso(dt):
    return dt.isoformat(timespec="seconds") + "Z" if dt else None


def card_dict(card: Card, *, anonymous: bool = False) -> dict:
    return {
        "id": card.id,
        "phase_id": card.phase_id,
        "lane_id": card.lane_id,
        "position": card.position,
        "title": card.title,
        "statement": card.statement or "",
        "channels": list(card.channels or []),
        "author": None if anonymous else (card.author_name or None),
        "author_participant_id": None if anonymous else card.author_participant_id,
        "library_entry_id": card.library_entry_id,
        "votes": card.votes or 0,
        "created_at": iso(card.created_at),
        "updated_at": iso(card.updated_at),
    }


def phase_dict(phase: Phase) -> dict:
    return {
        "id": phase.id,
        "position": phase.position,
        "current_name": phase.current_name,
        "desired_name": phase.desired_name or "",
        "statement": phase.statement or "",
    }


def lane_dict(lane: Lane) -> dict:
    return {"id": lane.id, "position": lane.position, "kind": lane.kind, "name": lane.name}


def plate_item_dict(item: PlateItem) -> dict:
    return {"id": item.id, "section": item.section, "heading": item.heading, "text": item.text,
            "position": item.position}
