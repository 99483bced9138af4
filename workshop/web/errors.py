"""Errors under /api/ answer JSON: ``{"error": {"code", "message"}}`` with a translated message.

Pages keep Werkzeug's HTML error pages; the JSON API, the browser's HTTP fallback and scripts
get JSON for every status (docs/openapi.yaml), including a missing CSRF token and a crash.
"""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

API_PREFIX = "/api/"

# status → (code, message) for refusals that happen before a view answers itself
MESSAGES = {
    400: ("bad_request", _l("The request is not valid.")),
    401: ("login_required", _l("Log in as a facilitator.")),
    403: ("forbidden", _l("You do not have access to this.")),
    404: ("not_found", _l("This does not exist (any more).")),
    405: ("method_not_allowed", _l("This method is not allowed here.")),
    413: ("too_large", _l("The request is too large.")),
    429: ("rate_limited", _l("Too many requests. Wait a moment and try again.")),
    500: ("server_error", _l("Something went wrong on the server; nothing was saved. Try again.")),
}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(status: int, code: str | None = None, message: str | None = None, headers=None):
    """A JSON error response; code and message default to the status's own."""
    default_code, default_message = MESSAGES.get(status, ("error", _l("The request could not be handled.")))
    response = jsonify(error={"code": code or default_code, "message": str(message or default_message)})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _kept_headers(err: HTTPException) -> dict:
    # Allow (405) and Retry-After (429) tell the client what to do next
    return {k: v for k, v in err.get_headers() if k.lower() in ("allow", "retry-after")}


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError):
        if not is_api_request():
            return err
        return api_error(400, "csrf", _("The page's security token is missing or out of date. "
                                        "Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if not is_api_request() or err.code is None or err.code < 400:
            return err
        return api_error(err.code, headers=_kept_headers(err))

    @app.errorhandler(InternalServerError)
    def _crash(err: InternalServerError):
        if not is_api_request():
            return err
        return api_error(500)
