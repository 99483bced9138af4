"""Starting gunicorn the production way for the benchmarks (shared by live_bench and fault_bench)."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict, port: int, *, workers: int = 1, log_level: str = "warning",
                   quiet: bool = False, config: Path | None = None) -> subprocess.Popen:
    """gunicorn with gunicorn.conf.py (gevent worker) in its own process group; returns once it answers HTTP."""
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "-c", str(config or ROOT / "gunicorn.conf.py"),
           "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--no-control-socket",
           "--log-level", log_level, "wsgi:app"]
    out = subprocess.DEVNULL if quiet else None
    err = subprocess.PIPE if quiet else None
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=out, stderr=err)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            raise SystemExit(f"gunicorn exited with {proc.returncode}: {tail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
                if s.recv(12).startswith(b"HTTP/1."):
                    return proc
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start")
