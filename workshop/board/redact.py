"""What a participant may see of names when the facilitator hides them ("Namen verbergen").

Names are never baked out of what is stored: the event log keeps the author of
a card and a participant's new name, so switching names back on shows them
again. They are taken out on the way to the participants, by the functions
here, at every point where something leaves the server:

- a live event: ``OpResult.event`` (board/operations.py), by the session's
  setting at commit time (it is read under the row lock, so in order);
- a replayed event (``hello``/``sync``, gap filling): ``live/catchup.py``, by
  the session's setting *now*, so events stored before the switch carry no name;
- presence and the ``synced`` frame: ``live/socket.py``, by what the
  connection last saw of the setting (it sends a fresh presence when it flips);
- snapshots, the board page and exports (``board/snapshot.py``,
  ``export/report.py``, ``export/document.py``) leave names out themselves.

A facilitator sees names in presence and catch-up (as in the snapshot). Live
events are encoded once for the whole room, so they carry no names for the
facilitator either: a reload or reconnect shows them.

A participant still recognises their own cards ("edit own cards only" needs
it), and learns nothing about anyone else's: ``author_participant_id`` stays on
the viewer's own cards, and only there, in the snapshot and in catch-up (both
are made per connection); the live broadcast names nobody, and the author's
page knows the card is its own from the ``op_id`` of its own ``card.add``
(static/js/store.js).
"""
from __future__ import annotations

import copy


def event_without_names(event: dict) -> dict:
    """An event frame (``{"type": "event", "event": …, "data": …}``) with every participant name removed."""
    kind, data = event.get("event"), event.get("data")
    if not isinstance(data, dict) or kind not in _STRIP:
        return event
    out = dict(event, data=copy.deepcopy(data))
    _STRIP[kind](out["data"])
    return out


def own_card_add(event: dict, author_participant_id: int) -> dict:
    """A ``card.add`` frame as its author sees it with names hidden: their own id stays, no name."""
    card = (event.get("data") or {}).get("card")
    if event.get("event") != "card.add" or not isinstance(card, dict):
        return event
    return dict(event, data=dict(event["data"], card=dict(card, author_participant_id=author_participant_id)))


def _card_add(data: dict) -> None:
    card = data.get("card")
    if isinstance(card, dict):
        card["author"] = None
        card["author_participant_id"] = None


def _rename(data: dict) -> None:
    data["name"] = None


def _settings(data: dict) -> None:
    # a switch back to names lists every author and participant: none of that while hidden
    data.pop("authors", None)
    if isinstance(data.get("participants"), list):
        data["participants"] = [dict(p, name=None) for p in data["participants"] if isinstance(p, dict)]


_STRIP = {"card.add": _card_add, "participant.rename": _rename, "session.settings": _settings}


def people_without_names(people: list[dict]) -> list[dict]:
    """A presence list with no names (kinds, ids and what is being edited stay)."""
    return [dict(p, name=None) for p in people]
