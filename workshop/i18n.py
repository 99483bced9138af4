"""Dutch by default, English selectable (``?lang=en``, remembered in the ``lang`` cookie)."""
from __future__ import annotations

from pathlib import Path

from flask import current_app, request
from flask_babel import Babel, get_locale, gettext

babel = Babel()


def select_locale() -> str:
    langs = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in langs:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    _register_context(app)

    @app.after_request
    def _remember_lang(response):
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response


# Strings the board's JavaScript needs, translated on the server and handed
# over as JSON (keys are the English msgids).
JS_STRINGS = [
    "You are offline; the change was not saved.", "Something went wrong.", "%(n)s online", "New card: %(title)s",
    "%(n)s changes by others on the board", "%(n)s change by others on the board", "Channels", "%(n)s votes", "Actions for card %(title)s",
    "Phase %(n)s", "Phase", "Actions for phase %(name)s", "Actions for lane %(name)s", "None",
    "Add card to %(phase)s, %(lane)s", "Card", "Customer journey: phases as columns, lanes as rows",
    "%(name)s is editing", "Someone", "Card moved to %(phase)s, %(lane)s", "Card deleted", "At the end",
    "Before “%(title)s”", "New card", "Edit card", "Move card", "Give the card a title.", "The title is too long.",
    "Edit phase", "New phase", "Give the phase a name.", "Rename lane", "New lane", "Give the lane a name.",
    "Edit", "Move…", "Delete", "Delete card “%(title)s”?", "You cannot change this card.", "Move left",
    "Move right", "Add phase after this one", "Delete phase", "Delete this phase and all its cards?", "Rename",
    "Move up", "Move down", "Delete lane", "Delete this lane and all its cards?", "Add to board",
    "%(n)s entries", "%(n)s entry", "Add a phase first.",
    "Connected (changes are saved, not live)", "Connecting…", "Live",
    "Offline: your changes are kept and sent later", "Reconnecting…", "Not saved yet",
    "%(n)s changes waiting to be sent", "%(n)s change waiting to be sent", "Back online: all changes are saved.",
]
JS_STRINGS_EXTRA: list[str] = [  # facilitation.js and plate.js
    '%(time)s left',
    'Votes placed: %(total)s · voters: %(voters)s',
    'Instructions',
    '%(n)s vote',
    'Add to my library',
    'Added to %(heading)s.',
    'Agenda saved.',
    'All rounds are done',
    'Cancel',
    'Close the vote? The result is fixed on the cards.',
    'Delete this line from the plate?',
    'Delete “%(text)s”',
    'Edit “%(text)s”',
    'Focus',
    'Next round: %(name)s',
    'Minutes',
    'New line for %(heading)s',
    'New name for %(name)s',
    'No round running',
    'No votes were placed.',
    'One minute left in %(name)s.',
    'Participant %(n)s',
    'Paused',
    'Remove %(name)s from the session? Their link stops working at once; their cards stay.',
    'Remove %(name)s',
    'Remove round %(name)s',
    'Remove',
    'Rename %(name)s',
    'Results stay hidden until the facilitator reveals them.',
    'Round',
    'Save',
    'Start now',
    'Start round',
    'Start “%(name)s”',
    'Take back a vote from %(title)s',
    'Text',
    'The board is locked: participants can only look (and vote).',
    'The facilitator brings everyone to %(name)s.',
    'The facilitator has locked the board: you can look, not change.',
    'The facilitator has removed you from this session.',
    'The vote is closed; the cards are in order of priority.',
    'The votes are revealed.',
    'Time is up for %(name)s.',
    'Time is up',
    'Vote for %(title)s',
    'Vote result: “%(lane)s”',
    'Votes for %(title)s',
    'Votes revealed: “%(lane)s”',
    'Voting has started.',
    'Voting on “%(lane)s”',
    'You have %(left)s of %(n)s votes left',
    'Your votes: %(n)s',
    'done',
    'offline',
    'online',
    'paused',
    'running',
    'you',
    '“%(title)s” is now in your library.',
    'whole board',
    'Current journey',
    'Desired journey',
    'Service innovations',
    'Backoffice',
    'Next round: %(name)s (%(n)s min)',
    'Connection lost: reconnecting… Your changes are kept and sent later.',
]


def js_strings() -> dict:
    return {key: gettext(key) for key in [*JS_STRINGS, *JS_STRINGS_EXTRA]}


def _register_context(app) -> None:
    @app.context_processor
    def _inject():
        return {"i18n_strings": js_strings, "get_locale": get_locale}
