"""Crash test: SIGKILL the server during a burst of operations; nothing acknowledged may be lost.

    .venv/bin/python bench/fault_bench.py                  # 10 kills, 4 clients, gunicorn + gevent on SQLite
    .venv/bin/python bench/fault_bench.py --kills 3 --clients 3
    DATABASE_URL=postgresql://… .venv/bin/python bench/fault_bench.py   # the same against PostgreSQL

Each round: start the server the production way (gunicorn with the gevent
worker, ``gunicorn.conf.py``) on the same database; every client connects
with its participant cookie, catches up from the last sequence number it saw,
checks that it received every event up to the server's (no gap), then sends
``card.add`` operations as fast as acks come back (a window of five in
flight) and records every acknowledged ``op_id``. After a random 0.3–1.2 s the
whole server process group gets SIGKILL. The database is then read directly:
an acknowledged operation is lost when its ``op_id`` is missing from the event
log or its card is missing from the board.

The last line printed is one JSON object:
``{"kills": 10, "acked": N, "lost": 0, "caught_up": …, "catchup_failures": 0, …}``.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchserver import free_port, start_gunicorn  # noqa: E402

WINDOW = 5  # operations in flight per client


def prepare(database_url: str, secret_key: str, clients: int) -> dict:
    from workshop import create_app
    from workshop.accounts import create_facilitator
    from workshop.db import db
    from workshop.migrate import upgrade
    from workshop.seed import load_seed
    from workshop.sessions import create_session, find_formula, join_session

    upgrade(database_url)
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": secret_key, "REDIS_URL": None})
    with app.app_context():
        load_seed(db.session)
        fac = create_facilitator(db.session, f"fault-{uuid.uuid4().hex[:8]}@example.nl", uuid.uuid4().hex, "Fault")
        ws = create_session(db.session, fac.id, title="Fault bench", formula=find_formula(db.session, "ontwerp"))
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = []
        for c in range(clients):
            _, token = join_session(db.session, ws, f"Deelnemer {c + 1}")
            cookies.append("session=" + serializer.dumps({"participants": {str(ws.id): token}, "_permanent": True}))
        phase_id, lane_id = ws.phases[0].id, ws.lanes[2].id
        out = {"session_id": ws.id, "cookies": cookies, "phase_id": phase_id, "lane_id": lane_id}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return out


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the master and its worker at once: a crash, not a shutdown."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


class Client(threading.Thread):
    """One participant: catch up, then burst operations until the server dies."""

    def __init__(self, n: int, url: str, cookie: str, setup: dict, last_seq: int, stop: threading.Event):
        super().__init__(daemon=True, name=f"client-{n}")
        self.n, self.url, self.cookie, self.setup, self.stop = n, url, cookie, setup, stop
        self.last_seq = last_seq
        self.acked: list[tuple[str, int]] = []  # (op_id, seq)
        self.caught_up = False
        self.catchup_error: str | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        from websockets.sync.client import connect

        try:
            ws = connect(self.url, additional_headers={"Cookie": self.cookie}, max_size=2 ** 24, open_timeout=10)
        except Exception as err:  # noqa: BLE001
            self.catchup_error = f"connect: {err}"
            self.ready.set()
            return
        with ws:
            try:
                self._catch_up(ws)
                self.ready.set()
                self._burst(ws)
            except Exception:  # noqa: BLE001 - the server was killed: that is the point
                pass
            finally:
                self.ready.set()

    def _catch_up(self, ws) -> None:
        ws.send(json.dumps({"type": "hello", "last_seq": self.last_seq}))
        seen = self.last_seq
        while True:
            frame = json.loads(ws.recv(timeout=15))
            if frame["type"] == "snapshot":
                seen = frame["seq"]
            elif frame["type"] == "event":
                if frame["seq"] != seen + 1:
                    self.catchup_error = f"gap: expected {seen + 1}, got {frame['seq']}"
                seen = max(seen, frame["seq"])
            elif frame["type"] == "synced":
                if frame["seq"] != seen:
                    self.catchup_error = f"synced at {frame['seq']} but saw {seen}"
                self.caught_up = self.catchup_error is None
                self.last_seq = seen
                return

    def _burst(self, ws) -> None:
        pending: set[str] = set()
        while not self.stop.is_set():
            while len(pending) < WINDOW:
                op_id = uuid.uuid4().hex
                ws.send(json.dumps({"type": "op", "op": {
                    "type": "card.add", "op_id": op_id, "phase_id": self.setup["phase_id"],
                    "lane_id": self.setup["lane_id"], "title": f"fault {op_id}"}}))
                pending.add(op_id)
            frame = json.loads(ws.recv(timeout=10))
            if frame["type"] == "event":
                self.last_seq = max(self.last_seq, frame["seq"])
            elif frame["type"] == "ack" and frame.get("op_id") in pending:
                pending.discard(frame["op_id"])
                self.acked.append((frame["op_id"], frame["seq"]))
            elif frame["type"] == "error" and frame.get("op_id") in pending:
                pending.discard(frame["op_id"])


def missing(database_url: str, session_id: int, acked: list[str]) -> list[str]:
    """Acknowledged op_ids absent from the event log or whose card is absent."""
    from sqlalchemy import select

    from workshop.db import make_engine
    from workshop.models import BoardEvent, Card

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            logged = set(conn.scalars(select(BoardEvent.op_id).where(BoardEvent.session_id == session_id)))
            titles = set(conn.scalars(select(Card.title).where(Card.session_id == session_id)))
            seqs = list(conn.scalars(select(BoardEvent.seq).where(BoardEvent.session_id == session_id)
                                     .order_by(BoardEvent.seq)))
    finally:
        engine.dispose()
    if seqs != list(range(1, len(seqs) + 1)):
        raise SystemExit("event log has gaps after a crash")
    return [op for op in acked if op not in logged or f"fault {op}" not in titles]


def run(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="fault-bench-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'fault.sqlite3'}"
    from workshop.config import normalise_database_url
    database_url = normalise_database_url(database_url)
    secret = uuid.uuid4().hex
    setup = prepare(database_url, secret, args.clients)
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret, "WEB_CONCURRENCY": "1"}
    env.pop("REDIS_URL", None)
    rng = random.Random(args.seed)
    last_seqs = [0] * args.clients
    acked: list[str] = []
    lost: list[str] = []
    caught_up = failures = 0
    errors: list[str] = []
    started = time.monotonic()
    for _ in range(args.kills):
        port = free_port()
        proc = start_gunicorn(env, port, log_level="error", quiet=True)
        url = f"ws://127.0.0.1:{port}/ws/sessions/{setup['session_id']}"
        stop = threading.Event()
        clients = [Client(i, url, cookie, setup, last_seqs[i], stop) for i, cookie in enumerate(setup["cookies"])]
        for c in clients:
            c.start()
        for c in clients:
            c.ready.wait(20)
        time.sleep(rng.uniform(0.3, 1.2))
        kill(proc)  # mid-burst
        stop.set()
        for c in clients:
            c.join(20)
        for i, c in enumerate(clients):
            last_seqs[i] = c.last_seq
            caught_up += c.caught_up
            if c.catchup_error:
                failures += 1
                errors.append(c.catchup_error)
            acked.extend(op for op, _seq in c.acked)
        lost = missing(database_url, setup["session_id"], acked)
        print(f"kill {_ + 1}/{args.kills}: acked so far {len(acked)}, lost {len(lost)}", file=sys.stderr)
    # one last start: everyone catches up on what the final burst wrote
    port = free_port()
    proc = start_gunicorn(env, port, log_level="error", quiet=True)
    try:
        stop = threading.Event()
        stop.set()
        url = f"ws://127.0.0.1:{port}/ws/sessions/{setup['session_id']}"
        finals = [Client(i, url, cookie, setup, last_seqs[i], stop) for i, cookie in enumerate(setup["cookies"])]
        for c in finals:
            c.start()
        for c in finals:
            c.join(30)
        final_caught_up = sum(c.caught_up for c in finals)
        errors.extend(c.catchup_error for c in finals if c.catchup_error)
    finally:
        kill(proc)
    return {"kills": args.kills, "clients": args.clients, "acked": len(acked), "lost": len(lost),
            "caught_up": caught_up + final_caught_up, "reconnects": args.clients * (args.kills + 1),
            "catchup_failures": failures + (args.clients - final_caught_up), "errors": errors[:5],
            "database": database_url.split(":", 1)[0], "seconds": round(time.monotonic() - started, 1)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args(argv)
    result = run(args)
    print(json.dumps(result))
    return 0 if result["lost"] == 0 and result["catchup_failures"] == 0 and result["acked"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
