"""The pressure-cooker workshop app."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Flask is imported in create_app: gunicorn's config imports this package first
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: a list of small named steps."""
    from flask import Flask

    from .config import instance_path
    from .resources import resource_dir
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path(test_config),
                template_folder=str(resource_dir("templates")), static_folder=str(resource_dir("static")))
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
    from .config import derive, from_env
    app.config.from_mapping(from_env(app.instance_path))
    if test_config:
        app.config.update(test_config)
    derive(app.config)


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
