"""CPU cost of one board operation on the server, without sockets.

    .venv/bin/python bench/ops_bench.py                  # SQLite in a temporary folder, 3000 operations
    .venv/bin/python bench/ops_bench.py --gevent         # the same inside gevent, as in the gunicorn worker
    DATABASE_URL=postgresql+psycopg://127.0.0.1/test .venv/bin/python bench/ops_bench.py

Each operation takes the websocket's path through the database exactly
(``workshop.live.writer.apply_in_transaction``: apply, commit, end the
session), with the same mix of operations as ``live_bench.py`` from one
participant of a seeded Ontwerp session. This is the part of
``server_cpu_ms_per_op`` in ``live_bench.py`` that does not depend on the
fan-out; profile it with ``--profile``. The last line printed is one JSON
object: milliseconds per operation overall and per type.
"""
from __future__ import annotations

import sys

if "--gevent" in sys.argv:  # as in a gunicorn gevent worker: patched before psycopg picks its wait function
    from gevent import monkey

    monkey.patch_all()

import argparse
import cProfile
import json
import os
import pstats
import random
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from live_bench import SessionState, next_op, prepare_database  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ops", type=int, default=3000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--profile", action="store_true", help="print the 25 most expensive functions")
    p.add_argument("--gevent", action="store_true",
                   help="monkey-patch with gevent first, as the production worker does (PostgreSQL then waits "
                        "through gevent's hub)")
    p.add_argument("--actor", choices=("participant", "facilitator", "facilitator-login"), default="participant",
                   help="who sends the operations; facilitator-login: over a socket opened with a login, "
                        "so each operation also checks that the login has not ended (logout)")
    args = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="ops-bench-"))
    try:
        from workshop import create_app
        from workshop.board import Actor, BoardError, board_snapshot
        from workshop.config import normalise_database_url
        from workshop.db import db
        from workshop.live.writer import apply_in_transaction
        from workshop.models import Facilitator, Participant, WorkshopSession

        url = normalise_database_url(os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'ops.sqlite3'}")
        secret = uuid.uuid4().hex
        info = prepare_database(url, secret, 1, 1)[0]
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret, "REDIS_URL": None})
        with app.app_context():
            ws = db.session.get(WorkshopSession, info["id"])
            participant = db.session.query(Participant).filter_by(session_id=ws.id).first()
            actor = Actor("participant", participant.id, participant.display_name)
            login_version = None
            if args.actor != "participant":
                owner = db.session.get(Facilitator, ws.facilitator_id)
                actor = Actor("facilitator", owner.id, owner.display_name)
                login_version = owner.session_version if args.actor == "facilitator-login" else None
            snap = board_snapshot(db.session, ws, actor)
            state = SessionState(info)
            state.phases = [ph["id"] for ph in snap["phases"]]
            state.lanes = [lane["id"] for lane in snap["lanes"]]
            db.session.remove()

            rng = random.Random(args.seed)
            per_type: dict[str, list[float]] = {}
            errors = 0
            profiler = (cProfile.Profile(time.process_time) if os.environ.get("CPU_PROFILE") else cProfile.Profile()) if args.profile else None
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for _ in range(args.ops):
                op = next_op(state, rng)
                op["op_id"] = uuid.uuid4().hex
                t = time.perf_counter()
                if profiler:
                    profiler.enable()
                try:
                    result = apply_in_transaction(db.engine, ws.id, actor, op, login_version)
                except BoardError:
                    errors += 1
                    continue
                finally:
                    if profiler:
                        profiler.disable()
                per_type.setdefault(op["type"], []).append(time.perf_counter() - t)
                if result.type == "card.add":
                    state.cards.add(result.payload["card"]["id"])
            cpu = time.process_time() - cpu0
            wall = time.perf_counter() - wall0
            db.engine.dispose()
        if profiler:
            pstats.Stats(profiler, stream=sys.stderr).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(int(os.environ.get("TOP", "25")))
        done = sum(len(v) for v in per_type.values())
        print(json.dumps({
            "database": url.split(":", 1)[0], "actor": args.actor, "ops": done, "errors": errors,
            "cpu_ms_per_op": round(cpu * 1000 / done, 3), "wall_ms_per_op": round(wall * 1000 / done, 3),
            "median_ms_by_type": {k: round(statistics.median(v) * 1000, 3) for k, v in sorted(per_type.items())},
        }))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
