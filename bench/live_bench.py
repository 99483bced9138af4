"""Load test of the live board: many sessions, many websocket clients, a realistic mix of operations.

    .venv/bin/python bench/live_bench.py                     # 20 sessions × 30 clients × 30 s, 2 ops/s per session
    .venv/bin/python bench/live_bench.py --rate 10           # five times busier
    .venv/bin/python bench/live_bench.py --url http://host:8000   # an already running server (needs its
                                                             # DATABASE_URL and SECRET_KEY in the environment)

Without ``--url`` it starts the server the production way: gunicorn with the
gevent worker (``gunicorn.conf.py``) against a fresh, migrated and seeded
SQLite database in a temporary folder (or ``DATABASE_URL`` when set, with
``REDIS_URL`` passed on). Sessions and participants are created directly in
the database; each client gets a signed session cookie with its participant
token, exactly what a browser holds after joining.

Clients (one asyncio process) connect, say hello, then each session sends
operations at ``--rate`` per second (Poisson arrivals, from a random client
of the session): card add 40 %, edit 25 %, move 20 %, delete 10 %, phase
rename 5 %. Latency is measured from sending an operation to receiving its
broadcast at every *other* client of the session. The last line printed is
one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchserver import free_port, start_gunicorn  # noqa: E402

WORDS = ("Track & Trace Stip op de kaart Webshop betaling Gelaagd aanbieden Next Steps Reviews Digitale balie "
         "Vooroverleg Omgevingstafel Checklist Chatbot Terugbelafspraak Statusupdate Wegwijzer").split()
CHANNELS = ["website-gemeente", "telefoon", "email", "persoonlijk", "sms", "berichtenbox", "post", "whatsapp"]


# ---------------------------------------------------------------------------
# setup: database, sessions, participants, cookies


def prepare_database(database_url: str, secret_key: str, sessions: int, clients: int) -> list[dict]:
    from workshop import create_app
    from workshop.accounts import create_facilitator
    from workshop.db import db
    from workshop.migrate import upgrade
    from workshop.seed import load_seed
    from workshop.sessions import create_session, find_formula, join_session

    upgrade(database_url)
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": secret_key, "REDIS_URL": None})
    out = []
    with app.app_context():
        load_seed(db.session)
        db.session.commit()
        fac = create_facilitator(db.session, f"bench-{uuid.uuid4().hex[:8]}@example.nl", uuid.uuid4().hex, "Bench")
        formula = find_formula(db.session, "ontwerp")
        serializer = app.session_interface.get_signing_serializer(app)
        for s in range(sessions):
            ws = create_session(db.session, fac.id, title=f"Bench {s + 1}", formula=formula)
            db.session.flush()
            cookies = []
            for c in range(clients):
                _, token = join_session(db.session, ws, f"Deelnemer {c + 1}")
                cookies.append("session=" + serializer.dumps({"participants": {str(ws.id): token},
                                                              "_permanent": True}))
            out.append({"id": ws.id, "cookies": cookies})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return out


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def rss_mb(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


# ---------------------------------------------------------------------------
# load generation


class Stats:
    def __init__(self):
        self.sent: dict[str, tuple[float, int]] = {}   # op_id -> (monotonic time, client key)
        self.broadcast: set[str] = set()                # acked, non-duplicate op ids
        self.errors: dict[str, int] = {}
        self.latencies: list[float] = []
        self.received = 0
        self.received_by_op: dict[str, int] = {}
        self.connected = 0
        self.closed_early = 0
        self.loop_lag: list[float] = []


class SessionState:
    def __init__(self, info: dict):
        self.id = info["id"]
        self.cookies = info["cookies"]
        self.clients: list["Client"] = []
        self.phases: list[int] = []
        self.lanes: list[int] = []
        self.cards: set[int] = set()


class Client:
    def __init__(self, key: int, session: SessionState, cookie: str, stats: Stats):
        self.key = key
        self.session = session
        self.cookie = cookie
        self.stats = stats
        self.ws = None
        self.synced = asyncio.Event()
        self.tracks_cards = False

    async def run(self, url: str) -> None:
        from websockets.asyncio.client import connect

        try:
            async with connect(url, additional_headers={"Cookie": self.cookie}, max_size=2 ** 24,
                               open_timeout=60, ping_interval=None) as ws:
                self.ws = ws
                await ws.send(json.dumps({"type": "hello", "last_seq": None}))
                async for raw in ws:
                    self.on_frame(json.loads(raw))
        except Exception as err:  # noqa: BLE001 - counted, reported
            self.stats.closed_early += 1
            if not self.synced.is_set():
                print(f"client {self.key}: {type(err).__name__}: {err}", file=sys.stderr)
        finally:
            self.synced.set()

    def on_frame(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "event":
            op_id = frame.get("op_id")
            sent = self.stats.sent.get(op_id)
            if sent is not None and sent[1] != self.key:
                self.stats.latencies.append(time.monotonic() - sent[0])
                self.stats.received += 1
                self.stats.received_by_op[op_id] = self.stats.received_by_op.get(op_id, 0) + 1
            if self.tracks_cards:
                data = frame["data"]
                if frame["event"] == "card.add":
                    self.session.cards.add(data["card"]["id"])
                elif frame["event"] == "card.delete":
                    self.session.cards.discard(data["id"])
        elif kind == "ack":
            if not frame.get("duplicate"):
                self.stats.broadcast.add(frame["op_id"])
        elif kind == "error":
            code = frame.get("code", "?")
            self.stats.errors[code] = self.stats.errors.get(code, 0) + 1
        elif kind == "snapshot":
            snap = frame["snapshot"]
            if not self.session.phases:
                self.session.phases = [p["id"] for p in snap["phases"]]
                self.session.lanes = [lane["id"] for lane in snap["lanes"]]
                self.session.cards = {c["id"] for c in snap["cards"]}
        elif kind == "synced":
            self.stats.connected += 1
            self.synced.set()

    async def send_op(self, op: dict) -> None:
        op_id = uuid.uuid4().hex
        op["op_id"] = op_id
        self.stats.sent[op_id] = (time.monotonic(), self.key)
        await self.ws.send(json.dumps({"type": "op", "op": op}))


def next_op(session: SessionState, rng: random.Random) -> dict:
    r = rng.random()
    cards = list(session.cards)
    if not cards or r < 0.40 or (r >= 0.85 and r < 0.95 and len(cards) < 10):
        return {"type": "card.add", "phase_id": rng.choice(session.phases), "lane_id": rng.choice(session.lanes),
                "title": " ".join(rng.sample(WORDS, 2)), "statement": "Ik " + " ".join(rng.sample(WORDS, 4)).lower(),
                "channels": rng.sample(CHANNELS, 2)}
    if r < 0.65:
        field = rng.choice(["title", "statement"])
        return {"type": "card.update", "id": rng.choice(cards), field: " ".join(rng.sample(WORDS, 3))}
    if r < 0.85:
        return {"type": "card.move", "id": rng.choice(cards), "phase_id": rng.choice(session.phases),
                "lane_id": rng.choice(session.lanes), "index": rng.randint(0, 4)}
    if r < 0.95:
        card = rng.choice(cards)
        session.cards.discard(card)
        return {"type": "card.delete", "id": card}
    return {"type": "phase.update", "id": rng.choice(session.phases), "desired_name": " ".join(rng.sample(WORDS, 2))}


async def drive_session(session: SessionState, rate: float, until: float, rng: random.Random) -> None:
    live = [c for c in session.clients if c.ws is not None and c.synced.is_set()]
    if not live or not session.phases:
        return
    while True:
        await asyncio.sleep(rng.expovariate(rate))
        if time.monotonic() >= until:
            return
        client = rng.choice(live)
        try:
            await client.send_op(next_op(session, rng))
        except Exception:  # noqa: BLE001 - the client's reader reports the closure
            pass


async def run_load(base_url: str, sessions: list[SessionState], args, stats: Stats, on_start) -> None:
    ws_base = base_url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/")
    tasks = []
    key = 0
    gate = asyncio.Semaphore(50)  # do not open 600 handshakes at once

    async def start(client: Client, url: str) -> None:
        async with gate:
            tasks.append(asyncio.create_task(client.run(url)))
            try:
                await asyncio.wait_for(client.synced.wait(), 60)
            except asyncio.TimeoutError:
                pass

    starters = []
    for s in sessions:
        for i, cookie in enumerate(s.cookies[: args.clients]):
            c = Client(key, s, cookie, stats)
            c.tracks_cards = i == 0
            key += 1
            s.clients.append(c)
            starters.append(start(c, f"{ws_base}/ws/sessions/{s.id}"))
    await asyncio.gather(*starters)
    await asyncio.sleep(0.5)  # let the presence broadcasts of the last joins settle
    on_start()
    lag_task = asyncio.create_task(watch_loop_lag(stats))
    rng = random.Random(args.seed)
    until = time.monotonic() + args.seconds
    await asyncio.gather(*(drive_session(s, args.rate, until, random.Random(rng.random())) for s in sessions))
    # drain: wait until every broadcast has reached every other client (or give up)
    per_session = {s.id: sum(1 for c in s.clients if c.synced.is_set() and c.ws is not None) for s in sessions}
    deadline = time.monotonic() + args.drain
    while time.monotonic() < deadline:
        if stats.received >= expected_deliveries(stats, sessions, per_session):
            break
        await asyncio.sleep(0.1)
    lag_task.cancel()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def watch_loop_lag(stats: Stats) -> None:
    """How late the load generator's own event loop runs (it shares the cores with the server)."""
    while True:
        t = time.monotonic()
        await asyncio.sleep(0.01)
        stats.loop_lag.append(time.monotonic() - t - 0.01)


def expected_deliveries(stats: Stats, sessions: list[SessionState], per_session: dict) -> int:
    owner = {}
    for s in sessions:
        for c in s.clients:
            owner[c.key] = s.id
    total = 0
    for op_id in stats.broadcast:
        sent = stats.sent.get(op_id)
        if sent is not None:
            total += per_session[owner[sent[1]]] - 1
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(q / 100 * (len(values) - 1)))))
    return values[k]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--clients", type=int, default=30, help="clients per session")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--rate", type=float, default=2, help="operations per second per session")
    p.add_argument("--url", help="a running server (needs DATABASE_URL and SECRET_KEY of that server)")
    p.add_argument("--workers", type=int, default=1, help="gunicorn workers when the bench starts the server")
    p.add_argument("--drain", type=float, default=10, help="seconds to wait for late deliveries")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)

    tmp = None
    proc = None
    try:
        if args.url:
            database_url = os.environ.get("DATABASE_URL")
            secret_key = os.environ.get("SECRET_KEY")
            if not database_url or not secret_key:
                p.error("--url needs DATABASE_URL and SECRET_KEY of that server in the environment")
            base_url = args.url
        else:
            tmp = Path(tempfile.mkdtemp(prefix="live-bench-"))
            database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite3'}"
            secret_key = uuid.uuid4().hex
        print(f"preparing {args.sessions} sessions × {args.clients} participants …", file=sys.stderr)
        from workshop.config import normalise_database_url
        database_url = normalise_database_url(database_url)
        infos = prepare_database(database_url, secret_key, args.sessions, args.clients)
        if not args.url:
            port = free_port()
            env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=secret_key, PYTHONUNBUFFERED="1")
            proc = start_gunicorn(env, port, workers=args.workers)
            base_url = f"http://127.0.0.1:{port}"
        sessions = [SessionState(i) for i in infos]
        stats = Stats()
        marks = {}

        def on_start():
            marks["t0"] = time.monotonic()
            marks["load0"] = round(os.getloadavg()[0], 2)
            if proc is not None:
                marks["cpu0"] = cpu_seconds(process_tree(proc.pid))

        print(f"connecting {args.sessions * args.clients} clients to {base_url} …", file=sys.stderr)
        asyncio.run(run_load(base_url, sessions, args, stats, on_start))
        server_rss = server_cpu = None
        if proc is not None:
            pids = process_tree(proc.pid)
            server_rss = round(rss_mb(pids), 1)
            server_cpu = round(cpu_seconds(pids) - marks.get("cpu0", 0.0), 2)
        per_session = {s.id: sum(1 for c in s.clients if c.synced.is_set() and c.ws is not None) for s in sessions}
        expected = expected_deliveries(stats, sessions, per_session)
        received = sum(n for op_id, n in stats.received_by_op.items() if op_id in stats.broadcast)
        answered = len(stats.broadcast) + sum(stats.errors.values())
        lat_ms = [x * 1000 for x in stats.latencies]
        result = {
            "sessions": args.sessions, "clients": args.sessions * args.clients, "connected": stats.connected,
            "rate": args.rate, "seconds": args.seconds,
            "ops_sent": len(stats.sent), "ops_broadcast": len(stats.broadcast), "errors": stats.errors,
            "ops_unanswered": len(stats.sent) - answered,
            "deliveries_expected": expected, "deliveries_received": received,
            "lost": max(0, expected - received), "closed_early": stats.closed_early,
            "p50_ms": round(percentile(lat_ms, 50), 2), "p95_ms": round(percentile(lat_ms, 95), 2),
            "p99_ms": round(percentile(lat_ms, 99), 2), "max_ms": round(max(lat_ms), 2) if lat_ms else None,
            "mean_ms": round(statistics.fmean(lat_ms), 2) if lat_ms else None,
            "loadgen_loop_lag_p99_ms": round(percentile([x * 1000 for x in stats.loop_lag], 99), 2),
            "server_rss_mb": server_rss, "server_cpu_s": server_cpu,
            "server_cpu_ms_per_op": round(server_cpu * 1000 / len(stats.broadcast), 2)
            if server_cpu is not None and stats.broadcast else None,
            # the machine is shared: read the latencies against how busy it was
            "load_avg_1m_start": marks.get("load0"), "load_avg_1m_end": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(result))
        return 0
    finally:
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(15)
            except Exception:  # noqa: BLE001
                os.killpg(proc.pid, signal.SIGKILL)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
