"""gunicorn settings in a checkout (``gunicorn -c gunicorn.conf.py wsgi:app``): the packaged
ones, ``workshop/gunicorn_conf.py``, which ``workshop serve --production`` uses."""
from workshop.gunicorn_conf import *  # noqa: F401,F403
