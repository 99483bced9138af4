"""Thin HTTP faces: they parse the request, call ``workshop.board``/``workshop.sessions``, commit, publish."""


def register(app) -> None:
    from . import api, auth, board, dashboard, exports, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(board.bp)
    app.register_blueprint(api.bp)
    from . import facilitation; app.register_blueprint(facilitation.bp)  # noqa: E702
    from . import templates_pages; app.register_blueprint(templates_pages.bp)  # noqa: E702
    from . import library_pages; app.register_blueprint(library_pages.bp)  # noqa: E702
    app.register_blueprint(exports.bp)
    from . import beamer; app.register_blueprint(beamer.bp)  # noqa: E702
