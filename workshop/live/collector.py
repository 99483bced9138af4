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
  ``GEN0 × GEN1 × GEN2`` objects, 20,000 here) so each one stays short, while
  young collections run less often than Python's default (every 5,000 net
  allocations instead of 700).

Frozen objects are never collected, so cyclic garbage among them (what a
closed connection leaves) would stay. ``idle()`` is called when the last
websocket of the process closes: then, with nobody to keep waiting, it
unfreezes, collects everything once and freezes again.
"""
from __future__ import annotations

import gc
import threading

GEN0_THRESHOLD = 5_000
GEN1_THRESHOLD = 2
GEN2_THRESHOLD = 2
REFREEZE_AFTER = 50_000  # objects frozen since the last complete collection before idle() collects

_state = {"tuned": False, "frozen_at_full": 0}
_lock = threading.Lock()


def _after_collection(phase: str, info: dict) -> None:
    if phase == "stop" and info.get("generation") == 2:
        before = gc.get_freeze_count()
        gc.freeze()
        _state["frozen_at_full"] += gc.get_freeze_count() - before


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


def idle() -> None:
    """Nobody is connected: collect what the frozen connections left behind, once."""
    if not _state["tuned"] or _state["frozen_at_full"] < REFREEZE_AFTER:
        return
    _state["frozen_at_full"] = 0
    gc.unfreeze()
    gc.collect()  # its callback freezes the survivors again
