"""Dutch by default, English selectable (cookie ``lang``, or a facilitator's preference)."""
from __future__ import annotations

from pathlib import Path

from flask import current_app, request
from flask_babel import Babel, gettext

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

    @app.after_request
    def _remember_lang(response):
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response


def translate_error(err) -> str:
    return err.translated(gettext)
