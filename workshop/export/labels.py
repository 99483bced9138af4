"""The report's words in the reader's language, from the UI's own catalogue (no Flask needed).

The exporters stay pure functions: they take a ``Labels`` (or build one for a language) and
never ask a request which language it is. Dutch is the default, as in the interface.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from babel.dates import format_date
from babel.support import NullTranslations, Translations

from ..resources import translations_dir

TRANSLATIONS = translations_dir()
LANGUAGES = ("nl", "en")
DEFAULT = "nl"
BCP47 = {"nl": "nl-NL", "en": "en-GB"}


@dataclass(frozen=True)
class Labels:
    lang: str
    translate: Callable[[str], str]
    translate_plural: Callable[[str, str, int], str]

    def __call__(self, msgid: str, **values) -> str:
        text = self.translate(msgid)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values) -> str:
        """Named like gettext's own, so that ``pybabel extract`` finds the plural forms."""
        return self.translate_plural(singular, plural, n) % {"n": n, **values}

    @property
    def tag(self) -> str:
        """The BCP 47 tag for the PDF's /Lang and the HTML lang attribute."""
        return BCP47.get(self.lang, self.lang)

    def date(self, value) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value[:10])
            except ValueError:
                return value
        if isinstance(value, datetime):
            value = value.date()
        return format_date(value, format="long", locale=self.lang)


@functools.cache
def labels(lang: str = DEFAULT) -> Labels:
    """Labels for ``lang`` (``nl`` or ``en``; anything else falls back to Dutch)."""
    lang = lang if lang in LANGUAGES else DEFAULT
    if lang == "en":  # the msgids are English
        t = NullTranslations()
    else:
        t = Translations.load(str(TRANSLATIONS), [lang], domain="messages")
    return Labels(lang, t.gettext, t.ngettext)
