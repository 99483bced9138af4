"""gunicorn settings for production: ``workshop serve --production`` runs
``gunicorn -c python:workshop.gunicorn_conf workshop.wsgi:app``.

Every value comes from ``SERVER_SETTINGS`` in workshop/config.py (environment
variables ``BIND``, ``WEB_CONCURRENCY``, …) and can be overridden on gunicorn's
command line. Why these values: docs/deployment.md.

- gevent worker: one greenlet per websocket instead of two OS threads, so one
  process holds thousands of idle board connections. The worker monkey-patches
  the standard library in the worker process *before* it imports the app
  (``preload_app`` stays off on purpose: preloading would import psycopg,
  redis and the app before patching, and psycopg 3 would then wait on the
  database without yielding to other greenlets). This module therefore imports
  only workshop.config, which imports nothing heavy.
- ``worker_connections`` caps the websockets (plus HTTP requests) per worker.
- No control socket: gunicorn would otherwise create one under $HOME.
- After the app is loaded, the worker freezes what start-up built and tunes
  the garbage collector (``workshop/live/collector.py``): no long pauses of
  the worker while people are connected.
"""
from workshop.config import server_settings

_settings = server_settings()

bind = _settings["BIND"]
worker_class = "gevent"
# SQLite: keep one worker (one writer process; gevent already multiplexes).
# PostgreSQL + REDIS_URL: one worker per core.
workers = _settings["WEB_CONCURRENCY"]
worker_connections = _settings["WORKER_CONNECTIONS"]
preload_app = False
# gevent workers notify the arbiter from their own loop, so long-lived
# websockets do not trip the worker timeout; a blocked worker still does.
timeout = _settings["GUNICORN_TIMEOUT"]
graceful_timeout = 10
# keepalive is also the *header timeout*: the gevent worker reads every request
# line and its headers under a deadline of ``keepalive`` seconds (the first
# request of a connection too), so a slow-loris client sending a header byte at a
# time is dropped after it. It must not be 0 (0 would read headers without any
# deadline). The body has its own deadline, REQUEST_BODY_TIMEOUT (web/request_body.py).
keepalive = max(1, _settings["KEEPALIVE"])
control_socket_disable = True
accesslog = _settings["ACCESS_LOG"]
errorlog = "-"
loglevel = _settings["LOG_LEVEL"]
# X-Forwarded-* from the reverse proxy on the same host (see docs/deployment.md)
forwarded_allow_ips = _settings["FORWARDED_ALLOW_IPS"]


def post_worker_init(worker):
    from workshop.live import collector

    collector.tune()
