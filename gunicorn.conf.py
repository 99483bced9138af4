"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every setting can be overridden on the command line or through the
environment variables read below. Why these values: docs/deployment.md.

- gevent worker: one greenlet per websocket instead of two OS threads, so one
  process holds thousands of idle board connections. The worker monkey-patches
  the standard library in the worker process *before* it imports the app
  (``preload_app`` stays off on purpose: preloading would import psycopg,
  redis and the app before patching, and psycopg 3 would then wait on the
  database without yielding to other greenlets).
- ``worker_connections`` caps the websockets (plus HTTP requests) per worker.
- No control socket: gunicorn would otherwise create one under $HOME.
"""
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
worker_class = "gevent"
# SQLite: keep one worker (one writer process; gevent already multiplexes).
# PostgreSQL + REDIS_URL: one worker per core.
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "2000"))
preload_app = False
# gevent workers notify the arbiter from their own loop, so long-lived
# websockets do not trip the worker timeout; a blocked worker still does.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
# keepalive is also the *header timeout*: the gevent worker reads every request
# line and its headers under a deadline of ``keepalive`` seconds (the first
# request of a connection too), so a slow-loris client sending a header byte at a
# time is dropped after it. It must not be 0 (0 would read headers without any
# deadline). The body has its own deadline, REQUEST_BODY_TIMEOUT (web/request_body.py).
keepalive = max(1, int(os.environ.get("KEEPALIVE", "5")))
control_socket_disable = True
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# X-Forwarded-* from the reverse proxy on the same host (see docs/deployment.md)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
