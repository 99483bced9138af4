"""The text a card takes from a library entry: the variant of the board's formula, else the canonical one."""
from __future__ import annotations

from ..models import LibraryEntry


def card_text(entry: LibraryEntry, formula_id: int | None) -> dict:
    """Title, statement and channels of a card made from ``entry`` on a board of ``formula_id``.

    A board of a formula whose grid prints the entry gets exactly that grid's text. Any other board
    (no formula, or a formula without this card) gets the canonical text: the canonical name with
    the statement and channels of the first formula that spells it so (or of the first formula).
    Own entries have no variants: their name, first statement and channels.
    """
    variants = list(entry.variants or [])
    if formula_id is not None:
        for variant in variants:
            if variant.formula_id == formula_id:
                return {"title": variant.title, "statement": variant.statement, "channels": list(variant.channels)}
    if variants:
        base = next((x for x in variants if x.title == entry.name), variants[0])
        return {"title": entry.name, "statement": base.statement, "channels": list(base.channels)}
    return {"title": entry.name, "statement": (entry.statements or [""])[0], "channels": list(entry.channels or [])}
