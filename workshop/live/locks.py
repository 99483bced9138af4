"""The locks the live path takes for every operation or delivery, and whether threads are greenlets."""
from __future__ import annotations

import threading

try:
    from gevent import monkey as _monkey

    # gevent's worker patches before the app is imported: threads are greenlets from then on
    GREENLET_THREADS = _monkey.is_module_patched("threading")
except ImportError:  # pragma: no cover - gevent is a dependency
    GREENLET_THREADS = False


def lock():
    """A mutex for state that is held only briefly (a connection's outbox, a session's writer queue,
    a rate-limit bucket), taken on every operation or delivery.

    Under gevent's monkey-patching ``threading.Lock`` is a Python subclass of gevent's semaphore
    that checks its arguments on every ``acquire``; the semaphore itself is compiled, and waits
    cooperatively just the same. Without gevent: ``threading.Lock``.
    """
    if GREENLET_THREADS:
        from gevent.lock import Semaphore

        return Semaphore(1)
    return threading.Lock()
