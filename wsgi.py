"""WSGI entry point in a checkout: ``gunicorn -c gunicorn.conf.py wsgi:app``; the same app as
``workshop.wsgi:app``, which an installed package uses (see docs/deployment.md)."""
from workshop.wsgi import app  # noqa: F401
