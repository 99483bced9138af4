"""The pressure-cooker workshop app."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: a list of small named steps."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    os.makedirs(app.instance_path, exist_ok=True)
    _configure(app, test_config)
    _init_database(app)
    _init_auth(app)
    _init_i18n(app)
    _init_security(app)
    _init_hub(app)
    _register_blueprints(app)
    _init_live(app)
    _init_cli(app)
    return app


def _configure(app: Flask, test_config: dict | None) -> None:
    from .config import Config, normalise_database_url
    app.config.from_mapping(Config.from_env(app.instance_path))
    if test_config:
        app.config.update(test_config)
        if "DATABASE_URL" in test_config:
            app.config["DATABASE_URL"] = normalise_database_url(test_config["DATABASE_URL"])


def _init_database(app: Flask) -> None:
    from .db import db
    db.init_app(app)


def _init_auth(app: Flask) -> None:
    from .web.auth import init_app
    init_app(app)


def _init_i18n(app: Flask) -> None:
    from .i18n import init_app
    init_app(app)


def _init_security(app: Flask) -> None:
    from .web.ratelimit import init_app as init_ratelimit
    from .web.request_body import init_app as init_request_body
    from .web.security import init_app
    init_request_body(app)
    init_app(app)
    init_ratelimit(app)
    if app.config.get("TRUST_PROXY"):
        # behind nginx: X-Forwarded-For/-Proto/-Host from one proxy make
        # request.is_secure and request.remote_addr (rate limits) right
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = int(app.config["TRUST_PROXY"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)


def _init_hub(app: Flask) -> None:
    from .live.hub import init_app
    init_app(app)


def _register_blueprints(app: Flask) -> None:
    from .web import register
    register(app)


def _init_live(app: Flask) -> None:
    from .live.socket import init_app
    init_app(app)


def _init_cli(app: Flask) -> None:
    from .cli import init_app
    init_app(app)
