"""Keep Python's garbage collector from stopping the worker for long while people are connected.

A full collection walks every tracked object: at a thousand connections that
took 100–250 ms, during which no websocket frame left the process. Most of
those objects live as long as the process (the app, SQLAlchemy, translations)
or as long as a connection, and are never garbage. So, in the worker
(``gunicorn.conf.py`` calls ``tune`` after the app is loaded):

- everything alive after start-up is frozen (``gc.freeze``): no collection looks
  at it again;
- after every full collection, what survived it is frozen too, so the next
  full collection only walks what was created since;
- the thresholds bound what piles up between two full collections (about
  ``GEN0 × GEN1 × GEN2`` objects, 8,000 here) so each one stays short (about a
  millisecond); young collections run less often than Python's default (every 2,000 net
  allocations instead of 700).

Frozen objects are never collected, so cyclic garbage among them (what a
closed connection leaves) would stay. ``idle()`` is called when the last
websocket of the process closes: if nobody has come back ``IDLE_DELAY``
seconds later, with nobody to keep waiting, it unfreezes, collects everything
once and freezes again.
"""
from __future__ import annotations

import gc
import threading

GEN0_THRESHOLD = 2_000
GEN1_THRESHOLD = 2
GEN2_THRESHOLD = 2
REFREEZE_AFTER = 10  # full collections frozen since the last complete one before idle() collects
IDLE_DELAY = 30  # seconds without any websocket before idle() collects

_state = {"tuned": False, "frozen_fulls": 0}
_lock = threading.Lock()


def _after_collection(phase: str, info: dict) -> None:
    # gc.freeze is cheap (it moves list heads); gc.get_freeze_count() is not (it walks them all)
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()
        _state["frozen_fulls"] += 1


def tune() -> None:
    """Freeze what start-up built and set the collector up for a long-lived worker (idempotent)."""
    with _lock:
        if _state["tuned"]:
            return
        _state["tuned"] = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
    gc.callbacks.append(_after_collection)


def idle(still_idle) -> None:
    """Nobody is connected: after ``IDLE_DELAY`` s, if ``still_idle()``, collect everything once.

    The frozen connections may have left cyclic garbage; with nobody connected a
    complete collection keeps no one waiting.
    """
    if not _state["tuned"] or _state["frozen_fulls"] < REFREEZE_AFTER:
        return

    def collect():
        if still_idle() and _state["frozen_fulls"] >= REFREEZE_AFTER:
            _state["frozen_fulls"] = 0
            gc.unfreeze()
            gc.collect()  # its callback freezes the survivors again

    timer = threading.Timer(IDLE_DELAY, collect)
    timer.daemon = True
    timer.start()
