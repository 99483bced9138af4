"""CPU per snapshot frame on a big board, the way a reconnecting room asks for it.

    .venv/bin/python bench/snapshot_bench.py                 # 500 cards, 30 participants, SQLite
    .venv/bin/python bench/snapshot_bench.py --cards 2000

Every participant of the board asks for the compact snapshot frame in turn, in its
own read transaction, as ``LiveConnection._send_snapshot`` does: ``frame`` is what the
server sends (``catchup.compact_snapshot_frame``: the cards table encoded once per
seq and spliced in), ``whole`` builds and encodes the whole message for each viewer
(``snapshot_message`` + ``compact_snapshot``, the way it was done before). The last line
printed is one JSON object: milliseconds of CPU per frame for each, and the frame size.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from side_by_side import prepare_storm_board  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cards", type=int, default=500)
    p.add_argument("--participants", type=int, default=30)
    p.add_argument("--rounds", type=int, default=5, help="times every participant asks")
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="snapshot-bench-"))
    try:
        from workshop import create_app
        from workshop.board import Actor
        from workshop.db import db, read_transaction
        from workshop.live import catchup
        from workshop.live.hub import encode
        from workshop.models import Participant

        url, secret = f"sqlite:///{tmp / 'board.sqlite3'}", uuid.uuid4().hex
        room = prepare_storm_board(url, secret, args.cards, args.participants)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret, "REDIS_URL": None})
        with app.app_context():
            viewers = [Actor("participant", p.id, p.display_name)
                       for p in db.session.query(Participant).filter_by(session_id=room["id"])]
            db.session.remove()

            def whole(viewer) -> str:
                with read_transaction(db.session) as session:
                    m = catchup.snapshot_message(session, room["id"], viewer)
                db.session.remove()
                return encode({"type": "snapshot", "seq": m["seq"], "compact": catchup.compact_snapshot(m["snapshot"])})

            def frame(viewer) -> str:
                with read_transaction(db.session) as session:
                    text = catchup.compact_snapshot_frame(session, room["id"], viewer)[2]
                db.session.remove()
                return text

            out = {"cards": args.cards, "participants": len(viewers)}
            for fn in (whole, frame):
                size = len(fn(viewers[0]))  # the first one fills the caches
                t = time.process_time()
                for _ in range(args.rounds):
                    for viewer in viewers:
                        fn(viewer)
                out[f"{fn.__name__}_cpu_ms_per_frame"] = round((time.process_time() - t) * 1000
                                                               / (args.rounds * len(viewers)), 2)
                out["frame_kb"] = round(size / 1024, 1)
        print(json.dumps(out))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
