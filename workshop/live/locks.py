"""The locks the live path takes for every operation or delivery."""
from __future__ import annotations

import threading


def lock():
    """A mutex for state that is held only briefly (a connection's outbox, a session's writer queue,
    a rate-limit bucket), taken on every operation or delivery.

    Under gevent's monkey-patching ``threading.Lock`` is a Python subclass of gevent's semaphore
    that checks its arguments on every ``acquire``; the semaphore itself is compiled, and waits
    cooperatively just the same. Without gevent: ``threading.Lock``.
    """
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return threading.Lock()
    if monkey.is_module_patched("threading"):
        from gevent.lock import Semaphore

        return Semaphore(1)
    return threading.Lock()
