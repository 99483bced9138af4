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
- After the app is loaded, the worker freezes what start-up built and tunes
  the garbage collector (``workshop/live/collector.py``): no long pauses of
  the worker while people are connected.
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
keepalive = 5
control_socket_disable = True
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# X-Forwarded-* from the reverse proxy on the same host (see docs/deployment.md)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    from workshop.live import collector

    collector.tune()
