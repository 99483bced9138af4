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
- the thresholds bound what piles up between two full collections. CPython
  collects a generation when its count *exceeds* its threshold, so with 1,000/1/1
  a full collection follows every second middle one, which follows every second
  young one: about ``4 × GEN0`` = 4,000 new objects. A full collection's time
  goes mostly in cache misses on what those objects point to (about 0.5 µs per
  object in a worker with a thousand sockets, five times a small test's), so it
  is the count that must stay small: 2–4 ms at 1,000 connections, where 2,000/2/2
  (18,000 objects) gave 7–18 ms;
- right after start-up's objects are frozen a second collection resets CPython's
  "a full collection only once a quarter of the last one's survivors is new" count,
  which would otherwise make the first full collection under load wait for, and
  then walk, a quarter of everything start-up built.

CPython starts a young collection when its count, *allocations minus deallocations*
of tracked objects, passes the threshold, and deallocations of old (even frozen)
objects count too. Where old objects die while new ones stay (connections
closing while others open, a board's cached snapshot replaced), the count stays
low while the new objects pile up, and the collection that finally comes walks
all of them: the rare 10-12 ms pauses. The pile is in the youngest generation
(nothing leaves it while no young collection runs). So a guard (``tick()``,
which the live path calls for every message a client sends) counts the
objects of the youngest generation (``gc.get_objects(0)``) once the worker has
used 50 ms of CPU since its last look and, past ``GUARD_OBJECTS``, collects at
once, while the pile is still a few milliseconds' walk. A look walks that
generation, so it comes only with work: an idle worker never looks (a timer
waking the worker ten times a second cost 0.3 % of a core with a thousand idle
sockets), a busy one about once per 50 ms of work. A look takes 4-60 µs at
20 × 30 @ 2 (timed in the worker); counting every unfrozen object instead
(``gc.get_objects()``) had 2.3 % of the worker's CPU samples there, this
1.2 %. It does fire under load: with connections' old objects dying, the
youngest generation was seen growing to 4,900 objects while CPython's count
stood at 670.

Frozen objects are never collected, so cyclic garbage among them (what a
closed connection leaves) would stay. ``idle()`` is called when the last
websocket of the process closes: if nobody has come back ``IDLE_DELAY``
seconds later, with nobody to keep waiting, it unfreezes, collects everything
once and freezes again.
"""
from __future__ import annotations

import gc
import logging
import threading
import time

log = logging.getLogger(__name__)

GEN0_THRESHOLD = 1_000
GEN1_THRESHOLD = 1
GEN2_THRESHOLD = 1
REFREEZE_AFTER = 10  # full collections frozen since the last complete one before idle() collects
IDLE_DELAY = 30  # seconds without any websocket before idle() collects
GUARD_OBJECTS = 5_000  # objects in the youngest generation: about 3 ms to walk at 1,000 connections
GUARD_WORK = 0.05  # seconds of the process's CPU between two looks

_state = {"tuned": False, "frozen_fulls": 0, "looked": 0.0}
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
    # CPython runs a full collection only once the objects promoted since the last one exceed a
    # quarter of that one's survivors (``long_lived_total``). After the collect above those were
    # everything start-up built, so the first full collection under load would wait for a
    # quarter of that and then walk it all (26 ms for 600,000 start-up objects). A second
    # collection, with everything frozen, sets the count to what it finds: next to nothing.
    gc.collect()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
    gc.callbacks.append(_after_collection)


def tick(work: float = GUARD_WORK, limit: int = GUARD_OBJECTS) -> None:
    """The guard: the live path calls this for every message a client sends. Once the process has
    used ``work`` seconds of CPU since the last look, count the objects of the youngest generation
    and past ``limit`` collect fully (which freezes the survivors). Only in a tuned worker."""
    if not _state["tuned"]:
        return
    now = time.process_time()
    if now - _state["looked"] < work:
        return
    _state["looked"] = now
    try:
        if len(gc.get_objects(0)) > limit:
            gc.collect()
    except Exception:  # noqa: BLE001 - the collector still runs by its counts
        log.exception("the collector's guard failed")


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
