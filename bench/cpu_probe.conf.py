"""gunicorn settings for a CPU profile of the worker: ``bench/gc_probe.conf.py`` plus a sampler.

Bench-only (never used in production): ``bench/side_by_side.py --cpu-profile PREFIX`` starts the
app with ``-c bench/cpu_probe.conf.py``. With ``CPU_PROFILE_FILE`` set, the worker samples its own
stack on ``SIGPROF`` (``setitimer(ITIMER_PROF)``: the process's CPU time, user and system, so a
greenlet waiting for the network is never counted, and a system call is counted for the CPU it
takes, not for the time the worker waits for a core afterwards, which py-spy counts as well).
Every three seconds it writes the stacks it has counted so far to ``$CPU_PROFILE_FILE.<pid>.<unix
time>``; ``bench/cpu_profile.py`` takes the difference of two of those (a cell's window) and prints
where the CPU went. The timer ticks with the kernel's clock (every 4 ms of CPU here), so a minute
of a cell at 20 × 30 @ 2 gives about a thousand samples.
"""
import collections
import os
import signal
import time
from pathlib import Path

_here = Path(__file__).resolve().parent / "gc_probe.conf.py"
__file__ = str(_here)  # gc_probe.conf.py finds the production settings next to itself
exec(compile(_here.read_text(), str(_here), "exec"))  # noqa: S102 - the GC probe and production settings

_gc_probe_post_worker_init = post_worker_init  # noqa: F821 - defined by gc_probe.conf.py


def post_worker_init(worker):  # noqa: F811 - wraps the GC probe's hook
    _gc_probe_post_worker_init(worker)
    target = os.environ.get("CPU_PROFILE_FILE")
    if not target:
        return
    counts = collections.Counter()
    state = {"written": time.time()}

    def sample(_signum, frame):
        stack = []
        while frame is not None and len(stack) < 80:
            code = frame.f_code
            stack.append(f"{code.co_name} ({code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno})")
            frame = frame.f_back
        counts[";".join(reversed(stack))] += 1
        now = time.time()
        if now - state["written"] >= 3:
            state["written"] = now
            with open(f"{target}.{os.getpid()}.{int(now)}", "w") as out:
                out.writelines(f"{stack} {n}\n" for stack, n in counts.items())

    signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
