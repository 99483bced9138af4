"""gunicorn settings for the benchmarks: production's gunicorn.conf.py plus a GC probe.

Bench-only (never used in production): ``bench/side_by_side.py`` starts the
app with ``-c bench/gc_probe.conf.py``. The probe times every collection of
the worker with ``gc.callbacks`` and appends the slow ones (≥ 1 ms, and every
full collection) to ``$GC_PROBE_FILE.<pid>`` as JSON lines
``{"t": unix time, "gen": 0|1|2, "ms": pause, "cpu_ms": the collector's own CPU time,
"collected": objects freed, "walk": objects it had to look at}`` (on a shared machine the
wall-clock pause includes time the worker waited for a core), so the bench can take the longest
pause inside each phase of its run. ``walk`` (the objects in the generations a collection
examines when it starts, what its time grows with) is counted only with ``GC_PROBE_WALK=1``:
counting costs about as much as a small collection, outside the timed pause.
"""
import json
import os
import time
from pathlib import Path

_here = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
exec(compile(_here.read_text(), str(_here), "exec"))  # noqa: S102 - the production settings, verbatim

_production_post_worker_init = globals().get("post_worker_init")


def post_worker_init(worker):  # noqa: F811 - wraps the production hook
    if _production_post_worker_init is not None:
        _production_post_worker_init(worker)
    target = os.environ.get("GC_PROBE_FILE")
    if not target:
        return
    import gc

    out = open(f"{target}.{os.getpid()}", "a", buffering=1)  # noqa: SIM115 - lives as long as the worker
    started = {}
    count_walk = os.environ.get("GC_PROBE_WALK") == "1"

    def probe(phase, info):
        if phase == "start":
            if count_walk:  # the generations this collection examines: 0 .. its own
                started["walk"] = sum(len(gc.get_objects(g)) for g in range(info.get("generation", 2) + 1))
            started["t"] = time.perf_counter()
            started["cpu"] = time.thread_time()
            return
        ms = (time.perf_counter() - started.get("t", time.perf_counter())) * 1000
        cpu_ms = (time.thread_time() - started.get("cpu", time.thread_time())) * 1000
        gen = info.get("generation")
        if ms >= 1 or gen == 2:
            out.write(json.dumps({"t": time.time(), "gen": gen, "ms": round(ms, 3), "cpu_ms": round(cpu_ms, 3), "collected": info.get("collected"),
                                 "walk": started.pop("walk", None)})
                      + "\n")

    gc.callbacks.append(probe)
