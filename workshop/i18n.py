"""Dutch by default, English selectable (``?lang=en``, remembered in the ``lang`` cookie)."""
from __future__ import annotations

from flask import current_app, request
from flask_babel import Babel, get_locale, gettext

from .js_i18n import js_msgids
from .resources import translations_dir

babel = Babel()


def choose_language(query: str | None, cookie: str | None, languages, default: str) -> str:
    """The one rule for a request's language: ``?lang=``, else the ``lang`` cookie, else the default.

    Pure, so that code outside a Flask request (web/request_body.py) follows it too.
    """
    chosen = query or cookie
    return chosen if chosen in languages else default


def select_locale() -> str:
    return choose_language(request.args.get("lang"), request.cookies.get("lang"),
                           current_app.config["LANGUAGES"], current_app.config["BABEL_DEFAULT_LOCALE"])


def init_app(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations_dir()))
    babel.init_app(app, locale_selector=select_locale)
    _register_context(app)

    @app.after_request
    def _remember_lang(response):
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response


def js_strings() -> dict:
    """The browser code's strings, translated, keyed by their English msgids (workshop/js_i18n.py)."""
    return {key: gettext(key) for key in js_msgids()}


def _register_context(app) -> None:
    @app.context_processor
    def _inject():
        return {"i18n_strings": js_strings, "get_locale": get_locale}
