"""WSGI entry point of an installed package: ``workshop.wsgi:app`` (see docs/deployment.md).

Do not import this module before gevent has patched the standard library:
the gunicorn gevent worker patches first and then imports the app, which is
also when psycopg 3 decides to wait cooperatively (it checks for gevent's
patched ``select`` at import).
"""
from workshop import create_app

app = create_app()
