"""The app next to its stack's floor and the practical limit, in one run, with the same clients.

    .venv/bin/python bench/side_by_side.py                        # ≤ 2 minutes: 20×30 at 10 ops/s, extras
    .venv/bin/python bench/side_by_side.py --grid 20x30@2,20x30@10,20x50@2,20x50@10 --seconds 30
    .venv/bin/python bench/side_by_side.py --targets app --idle 1000   # the app alone

Three servers, one after the other, each on a fresh port:

- ``app``: gunicorn with the gevent worker (production's ``gunicorn.conf.py``, plus
  ``bench/gc_probe.conf.py`` to time the worker's garbage collections) on a fresh,
  migrated, seeded SQLite database (``DATABASE_URL`` to use another);
- ``flasksock``: ``ref_flasksock.py`` (Flask + flask-sock relay) under gunicorn gevent;
- ``asyncio``: ``ref_asyncio.py`` (websockets + uvloop relay).

The two reference relays are not part of the product; they live outside the repository
(``--refs``; see docs/deployment.md for what they are) and run with ``--ref-python`` (a
virtualenv with their pinned requirements).

The clients are the same for all three (one asyncio process, websockets' client, no
permessage-deflate offered): each room sends ``rate`` messages per second (Poisson arrivals,
from a random client); latency is counted at the *other* clients of the room. For the app a message is a
board operation (card add/edit/move/delete, phase rename) and arrives as its ``event``; for the relays
it is a ~300-byte JSON text sent back verbatim.

Per target and grid cell: p50/p95/p99/max latency, deliveries lost, server CPU µs per delivery,
connect time, RSS. Then, per target: a burst (``--burst`` clients of one room send at once: time to the
last delivery), the CPU of ``--idle`` open idle sockets and the time to connect them. For the app also:
the longest GC pause in each phase, the join time of one room of ``--burst`` clients (connect to
``synced``) and the reconnect storm: ``--storm-clients`` clients of a board with ``--storm-cards``
cards reconnect at once with ``last_seq: null`` (time until all are synced; snapshot size).

The last line printed is one JSON object: every figure, the ratios app/flasksock and app/asyncio,
and the load average (the machine may be shared: read absolute figures against it; ratios measured
in one run hold better).
"""
from __future__ import annotations

import argparse
import asyncio
import glob
import itertools
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchserver import free_port, start_gunicorn  # noqa: E402
from live_bench import (CHANNELS, WORDS, cpu_seconds, next_op, percentile, prepare_database,  # noqa: E402
                        process_tree, rss_mb)

# What the app's clients say in hello (docs/protocol.md: features); the browser says the same.
HELLO_FEATURES = ["presence-delta", "compact-snapshot"]
CLIENT_KEYS = itertools.count()


# ---------------------------------------------------------------------------
# servers


class Server:
    def __init__(self, name: str, proc: subprocess.Popen, port: int, ws_path):
        self.name = name
        self.proc = proc
        self.port = port
        self.ws_path = ws_path  # room key -> path

    @property
    def pids(self):
        return process_tree(self.proc.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pids)

    def rss(self) -> float:
        return round(rss_mb(self.pids), 1)

    def url(self, room) -> str:
        return f"ws://127.0.0.1:{self.port}{self.ws_path(room)}"

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except Exception:  # noqa: BLE001
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass


def wait_port(proc, port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def start_ref(name: str, args) -> Server:
    refs = Path(args.refs)
    port = free_port()
    if name == "asyncio":
        cmd = [args.ref_python, str(refs / "ref_asyncio.py"), "--port", str(port)]
        try:
            subprocess.run([args.ref_python, "-c", "import uvloop"], check=True, capture_output=True)
        except subprocess.CalledProcessError:
            print("uvloop missing in --ref-python: asyncio reference runs without it", file=sys.stderr)
            cmd.append("--no-uvloop")
    else:
        gunicorn = str(Path(args.ref_python).parent / "gunicorn")
        cmd = [gunicorn, "-k", "gevent", "-w", "1", "--worker-connections", "4000", "--no-control-socket",
               "--log-level", "warning", "-b", f"127.0.0.1:{port}", "ref_flasksock:app"]
    proc = subprocess.Popen(cmd, cwd=refs, start_new_session=True)
    wait_port(proc, port)
    return Server(name, proc, port, lambda room: f"/ws/{room}")


def start_app(env: dict, gc_file: str, workers: int = 1, cpu_profile: str | None = None) -> Server:
    port = free_port()
    env = dict(env, GC_PROBE_FILE=gc_file)
    if cpu_profile:  # bench/cpu_probe.conf.py: the GC probe plus a CPU-time sampler
        env["CPU_PROFILE_FILE"] = cpu_profile
    proc = start_gunicorn(env, port, workers=workers,
                          config=ROOT / "bench" / ("cpu_probe.conf.py" if cpu_profile else "gc_probe.conf.py"))
    return Server("app", proc, port, lambda room: f"/ws/sessions/{room}")


def gc_pauses(gc_file: str, since: float, until: float) -> dict:
    worst, full, count, top, cpu = 0.0, 0.0, 0, [], 0.0
    for path in glob.glob(gc_file + ".*"):
        for line in Path(path).read_text().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if since <= rec["t"] <= until:
                worst = max(worst, rec["ms"])
                cpu = max(cpu, rec.get("cpu_ms", 0.0))
                top.append((rec["ms"], rec["gen"], rec.get("cpu_ms"), rec.get("walk"), rec.get("collected")))
                if rec["gen"] == 2:
                    full = max(full, rec["ms"])
                    count += 1
    return {"gc_max_ms": round(worst, 2), "gc_max_cpu_ms": round(cpu, 2), "gc_full_max_ms": round(full, 2),
            "gc_full_count": count,
            # [generation, pause ms, collector CPU ms] (+ objects walked and objects freed, with --gc-walk)
            "gc_slowest": [[gen, ms, cpu_ms] + ([walk, collected] if walk is not None else [])
                           for ms, gen, cpu_ms, walk, collected
                           in sorted(top, key=lambda x: x[0], reverse=True)[:3]]}


# ---------------------------------------------------------------------------
# clients


class Stats:
    def __init__(self):
        self.sent: dict[str, tuple[float, int, object]] = {}  # message id -> (time, client key, room)
        self.acked: set[str] = set()
        self.latencies: list[float] = []
        self.received = 0
        self.last_delivery = 0.0
        self.errors: dict[str, int] = {}
        self.closed_early = 0
        self.snapshot_bytes = 0


class Room:
    def __init__(self, key, cookies=None):
        self.key = key  # session id (app) or room name (relay)
        self.cookies = cookies or []
        self.clients: list[Client] = []
        self.phases: list[int] = []
        self.lanes: list[int] = []
        self.cards: set[int] = set()


class Client:
    """One websocket client; ``app`` selects the board protocol, else the relays' echo protocol."""

    def __init__(self, key: int, room: Room, stats: Stats, app: bool, cookie: str | None = None,
                 last_seq=None):
        self.key = key
        self.room = room
        self.stats = stats
        self.app = app
        self.cookie = cookie
        self.last_seq = last_seq
        self.ws = None
        self.ready = asyncio.Event()
        self.tracks_cards = False
        self.ready_at = None

    async def run(self, url: str) -> None:
        from websockets.asyncio.client import connect

        headers = {"Cookie": self.cookie} if self.cookie else {}
        try:
            async with connect(url, additional_headers=headers, max_size=2 ** 24, open_timeout=120,
                               ping_interval=None, compression=None) as ws:
                self.ws = ws
                if self.app:
                    await ws.send(json.dumps({"type": "hello", "last_seq": self.last_seq,
                                              "features": HELLO_FEATURES}))
                else:
                    self._ready()
                async for raw in ws:
                    self.on_frame(raw)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - counted, reported
            self.stats.closed_early += 1
            if not self.ready.is_set():
                print(f"client {self.key}: {type(err).__name__}: {err}", file=sys.stderr)
        finally:
            self.ready.set()

    def _ready(self):
        self.ready_at = time.monotonic()
        self.ready.set()

    def _delivered(self, msg_id) -> None:
        sent = self.stats.sent.get(msg_id)
        if sent is None:
            return
        if sent[1] == self.key:
            self.stats.acked.add(msg_id)
            return
        now = time.monotonic()
        self.stats.latencies.append(now - sent[0])
        self.stats.received += 1
        self.stats.last_delivery = max(self.stats.last_delivery, now)

    def on_frame(self, raw) -> None:
        frame = json.loads(raw)
        kind = frame.get("type")
        if kind == "event":
            if self.app:
                sent = self.stats.sent.get(frame.get("op_id"))
                if sent is not None and sent[1] != self.key:
                    self._delivered(frame["op_id"])
                if self.tracks_cards:
                    data = frame["data"]
                    if frame["event"] == "card.add":
                        self.room.cards.add(data["card"]["id"])
                    elif frame["event"] == "card.delete":
                        self.room.cards.discard(data["id"])
            else:
                self._delivered(frame.get("op_id"))
        elif kind == "ack":
            if not frame.get("duplicate"):
                self.stats.acked.add(frame["op_id"])
        elif kind == "error":
            code = frame.get("code", "?")
            self.stats.errors[code] = self.stats.errors.get(code, 0) + 1
        elif kind == "snapshot":
            self.stats.snapshot_bytes = max(self.stats.snapshot_bytes, len(raw))
            snap = frame.get("snapshot") or frame.get("compact") or {}
            if not self.room.phases:
                self.room.phases = [p["id"] if isinstance(p, dict) else p[0] for p in _rows(snap, "phases")]
                self.room.lanes = [ln["id"] if isinstance(ln, dict) else ln[0] for ln in _rows(snap, "lanes")]
                self.room.cards = {c["id"] if isinstance(c, dict) else c[0] for c in _rows(snap, "cards")}
        elif kind == "synced":
            self._ready()

    async def send(self, rng: random.Random) -> None:
        msg_id = uuid.uuid4().hex
        self.stats.sent[msg_id] = (time.monotonic(), self.key, self.room.key)
        if self.app:
            op = next_op(self.room, rng)
            op["op_id"] = msg_id
            await self.ws.send(json.dumps({"type": "op", "op": op}))
        else:
            # about the size of a card.add frame; the relay sends it back unchanged
            await self.ws.send(json.dumps({"type": "event", "op_id": msg_id, "event": "card.add",
                                           "data": {"title": " ".join(rng.sample(WORDS, 2)),
                                                    "statement": "Ik " + " ".join(rng.sample(WORDS, 4)),
                                                    "channels": rng.sample(CHANNELS, 2), "pad": "x" * 120}}))


def _rows(snap: dict, key: str) -> list:
    value = snap.get(key) or []
    return value["rows"] if isinstance(value, dict) else value


async def connect_all(server: Server, rooms: list[Room], stats: Stats, app: bool, per_room: int,
                      gate: int = 50, last_seq=None) -> tuple[list[asyncio.Task], float]:
    """Open ``per_room`` clients in every room, at most ``gate`` handshakes at once; returns tasks, seconds."""
    sem = asyncio.Semaphore(gate)
    tasks = []
    t0 = time.monotonic()

    async def start(client: Client, url: str) -> None:
        async with sem:
            tasks.append(asyncio.create_task(client.run(url)))
            try:
                await asyncio.wait_for(client.ready.wait(), 120)
            except asyncio.TimeoutError:
                pass

    starters = []
    for room in rooms:
        for i in range(per_room):
            cookie = room.cookies[i] if app else None
            c = Client(next(CLIENT_KEYS), room, stats, app, cookie, last_seq)
            c.tracks_cards = i == 0
            room.clients.append(c)
            starters.append(start(c, server.url(room.key)))
    await asyncio.gather(*starters)
    return tasks, time.monotonic() - t0


async def close_all(tasks) -> None:
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def live_clients(room: Room) -> list[Client]:
    return [c for c in room.clients if c.ws is not None and c.ready_at is not None]


async def drain(stats: Stats, rooms: list[Room], seconds: float) -> int:
    """Wait until every acknowledged message reached every other client of its room; returns expected."""
    size = {r.key: len(live_clients(r)) for r in rooms}

    def expected():
        return sum(size.get(stats.sent[m][2], 1) - 1 for m in stats.acked if m in stats.sent)

    def answered():
        return len(stats.acked) + sum(stats.errors.values())

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (answered() < len(stats.sent) or stats.received < expected()):
        await asyncio.sleep(0.02)
    return expected()


def latency_figures(stats: Stats, expected: int) -> dict:
    lat = [x * 1000 for x in stats.latencies]
    return {
        "p50_ms": round(percentile(lat, 50), 2), "p95_ms": round(percentile(lat, 95), 2),
        "p99_ms": round(percentile(lat, 99), 2), "max_ms": round(max(lat), 2) if lat else None,
        "mean_ms": round(statistics.fmean(lat), 2) if lat else None,
        "sent": len(stats.sent), "acked": len(stats.acked), "deliveries": stats.received,
        "lost": max(0, expected - stats.received), "errors": stats.errors, "closed_early": stats.closed_early,
    }


async def load_cell(server: Server, rooms: list[Room], clients: int, rate: float, args, app: bool) -> dict:
    stats = Stats()
    for r in rooms:
        r.clients = []
    tasks, connect_s = await connect_all(server, rooms, stats, app, clients)
    await asyncio.sleep(0.5)  # let the joins settle
    cpu0, t0 = server.cpu(), time.time()
    rng = random.Random(args.seed)
    until = time.monotonic() + args.seconds

    async def drive(room: Room, rng: random.Random):
        live = live_clients(room)
        if not live or (app and not room.phases):
            return
        while True:
            await asyncio.sleep(rng.expovariate(rate))
            if time.monotonic() >= until:
                return
            try:
                await rng.choice(live).send(rng)
            except Exception:  # noqa: BLE001 - the reader reports closures
                pass

    await asyncio.gather(*(drive(r, random.Random(rng.random())) for r in rooms))
    expected = await drain(stats, rooms, args.drain)
    cpu = server.cpu() - cpu0
    out = latency_figures(stats, expected)
    out.update({"connect_s": round(connect_s, 2), "rss_mb": server.rss(),
                "cpu_us_per_delivery": round(cpu * 1e6 / stats.received, 1) if stats.received else None,
                "t": (t0, time.time())})
    await close_all(tasks)
    return out


async def burst(server: Server, room: Room, n: int, app: bool, args) -> dict:
    """``n`` clients of one room, each sends one message at the same moment."""
    stats = Stats()
    room.clients = []
    t_start = time.time()
    tasks, connect_s = await connect_all(server, [room], stats, app, n, gate=n)
    await asyncio.sleep(0.5)
    live = live_clients(room)
    t0, cpu0 = time.monotonic(), server.cpu()
    rng = random.Random(args.seed)
    await asyncio.gather(*(c.send(rng) for c in live), return_exceptions=True)
    expected = await drain(stats, [room], args.drain)
    out = latency_figures(stats, expected)
    out["server_cpu_ms"] = round((server.cpu() - cpu0) * 1000, 1)  # the whole burst, drained
    out["last_delivery_ms"] = round((stats.last_delivery - t0) * 1000, 2) if stats.last_delivery else None
    out["join_s"] = round(connect_s, 3)  # n clients of one room connecting at once (app: until synced)
    out["t"] = (t_start, time.time())
    await close_all(tasks)
    return out


async def idle(server: Server, rooms: list[Room], per_room: int, seconds: float, app: bool) -> dict:
    stats = Stats()
    for r in rooms:
        r.clients = []
    t_connect = time.time()  # the window for the GC pauses includes the connecting
    tasks, connect_s = await connect_all(server, rooms, stats, app, per_room, gate=100)
    open_n = sum(len(live_clients(r)) for r in rooms)
    await asyncio.sleep(1.0)
    cpu0, t0 = server.cpu(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu = server.cpu() - cpu0
    out = {"idle_sockets": open_n, "idle_connect_s": round(connect_s, 2),
           "idle_cpu_pct": round(100 * cpu / (time.monotonic() - t0), 2), "idle_rss_mb": server.rss(),
           "t": (t_connect, time.time())}
    await close_all(tasks)
    return out


async def storm(server: Server, room: Room, n: int, args) -> dict:
    """``n`` clients of a big board reconnect at once with last_seq null (after a wifi drop)."""
    stats = Stats()
    room.clients = []
    t0, cpu0 = time.time(), server.cpu()
    tasks, seconds = await connect_all(server, [room], stats, True, n, gate=n, last_seq=None)
    out = {"storm_clients": len(live_clients(room)), "storm_s": round(seconds, 3),
           "storm_server_cpu_s": round(server.cpu() - cpu0, 3),
           "storm_snapshot_kb": round(stats.snapshot_bytes / 1024, 1), "t": (t0, time.time())}
    await close_all(tasks)
    return out


# ---------------------------------------------------------------------------
# setup of the app's database


def prepare_storm_board(database_url: str, secret_key: str, cards: int, clients: int) -> dict:
    """One session with ``cards`` cards and ``clients`` participants."""
    from workshop import create_app
    from workshop.board import Actor, apply_operation
    from workshop.db import db
    from workshop.models import Lane, Phase, WorkshopSession

    room = prepare_database(database_url, secret_key, 1, clients)[0]
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": secret_key, "REDIS_URL": None})
    rng = random.Random(7)
    with app.app_context():
        ws = db.session.get(WorkshopSession, room["id"])
        actor = Actor("facilitator", ws.facilitator_id, "Bench")
        phases = [p.id for p in db.session.query(Phase).filter_by(session_id=ws.id)]
        lanes = [ln.id for ln in db.session.query(Lane).filter_by(session_id=ws.id)]
        for i in range(cards):
            apply_operation(db.session, ws.id, actor, {
                "type": "card.add", "op_id": f"storm-{i}", "phase_id": rng.choice(phases),
                "lane_id": rng.choice(lanes), "title": " ".join(rng.sample(WORDS, 2)),
                "statement": "Ik " + " ".join(rng.sample(WORDS, 5)).lower(), "channels": rng.sample(CHANNELS, 3)})
            if i % 100 == 99:
                db.session.commit()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return room


def parse_grid(text: str) -> list[tuple[int, int, float]]:
    cells = []
    for part in filter(None, text.split(",")):  # "" runs no load cell (only the extras)
        size, rate = part.split("@")
        s, c = size.lower().split("x")
        cells.append((int(s), int(c), float(rate)))
    return cells


def ratio(a, b):
    return round(a / b, 2) if a is not None and b not in (None, 0) else None


# ---------------------------------------------------------------------------


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--grid", default="20x30@10", help="cells SESSIONSxCLIENTS@OPS_PER_S, comma-separated")
    p.add_argument("--seconds", type=float, default=8, help="load per cell")
    p.add_argument("--targets", default="app,flasksock,asyncio")
    p.add_argument("--refs", default=str(ROOT.parent / "shared" / "bench"),
                   help="folder with ref_asyncio.py and ref_flasksock.py")
    p.add_argument("--ref-python", default=sys.executable,
                   help="python of a virtualenv with the references' requirements")
    p.add_argument("--burst", type=int, default=50, help="clients of one room that send at once (0: skip)")
    p.add_argument("--idle", type=int, default=1000, help="idle sockets to hold open (0: skip)")
    p.add_argument("--idle-seconds", type=float, default=5)
    p.add_argument("--gc-walk", action="store_true",
                   help="count the objects each collection of the app walks (in gc_slowest, with those it freed; adds CPU)")
    p.add_argument("--storm-cards", type=int, default=500)
    p.add_argument("--storm-clients", type=int, default=30, help="0: skip the reconnect storm")
    p.add_argument("--drain", type=float, default=5, help="seconds to wait for late deliveries")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=1,
                   help="gunicorn workers of the app (more than 1 needs PostgreSQL and REDIS_URL)")
    p.add_argument("--cpu-profile", metavar="PREFIX",
                   help="sample the app worker's CPU (bench/cpu_probe.conf.py) into PREFIX.<pid>.<time>; "
                        "read with bench/cpu_profile.py PREFIX (adds about 1 %% of CPU)")
    args = p.parse_args(argv)
    grid = parse_grid(args.grid)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]

    tmp = Path(tempfile.mkdtemp(prefix="side-by-side-"))
    results: dict = {"grid": args.grid, "seconds": args.seconds, "load_avg_start": os.getloadavg()}
    try:
        max_s = max([s for s, _c, _r in grid] + [20 if args.idle else 1])
        idle_rooms = max_s
        per_room = max([c for _s, c, _r in grid] + [-(-args.idle // idle_rooms) if args.idle else 1])
        app_rooms = burst_room = storm_room = None
        env = None
        if "app" in targets:
            database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite3'}"
            from workshop.config import normalise_database_url
            database_url = normalise_database_url(database_url)
            secret_key = uuid.uuid4().hex
            print(f"preparing {max_s} sessions × {per_room} participants, a burst room and a "
                  f"{args.storm_cards}-card board …", file=sys.stderr)
            infos = prepare_database(database_url, secret_key, max_s + (1 if args.burst else 0),
                                     max(per_room, args.burst))
            app_rooms = [Room(i["id"], i["cookies"]) for i in infos[:max_s]]
            if args.burst:
                burst_room = Room(infos[max_s]["id"], infos[max_s]["cookies"])
            if args.storm_clients:
                info = prepare_storm_board(database_url, secret_key, args.storm_cards, args.storm_clients)
                storm_room = Room(info["id"], info["cookies"])
            env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=secret_key, PYTHONUNBUFFERED="1",
                       GC_PROBE_WALK="1" if args.gc_walk else "0")
            env.pop("REDIS_URL", None) if "REDIS_URL" not in os.environ else None
        gc_file = str(tmp / "gc")
        for target in targets:
            app = target == "app"
            server = start_app(env, gc_file, args.workers, args.cpu_profile) if app else start_ref(target, args)
            res: dict = {"cells": {}}
            try:
                print(f"{target}: running …", file=sys.stderr)
                for s, c, rate in grid:
                    rooms = app_rooms[:s] if app else [Room(f"r{k}") for k in range(s)]
                    cell = asyncio.run(load_cell(server, rooms, c, rate, args, app))
                    t = cell.pop("t")
                    if app:
                        cell.update(gc_pauses(gc_file, *t))
                    res["cells"][f"{s}x{c}@{rate:g}"] = cell
                if args.burst:
                    room = burst_room if app else Room("burst")
                    b = asyncio.run(burst(server, room, args.burst, app, args))
                    t = b.pop("t")
                    if app:
                        b.update({k.replace("gc_", "burst_gc_"): v for k, v in gc_pauses(gc_file, *t).items()})
                    res["burst"] = b
                if args.idle:
                    rooms = app_rooms[:idle_rooms] if app else [Room(f"i{k}") for k in range(idle_rooms)]
                    i = asyncio.run(idle(server, rooms, -(-args.idle // idle_rooms), args.idle_seconds, app))
                    t = i.pop("t")
                    if app:
                        i.update({k.replace("gc_", "idle_gc_"): v for k, v in gc_pauses(gc_file, *t).items()})
                    res["idle"] = i
                if app and storm_room is not None:
                    st = asyncio.run(storm(server, storm_room, args.storm_clients, args))
                    t = st.pop("t")
                    st.update({k.replace("gc_", "storm_gc_"): v for k, v in gc_pauses(gc_file, *t).items()})
                    res["storm"] = st
                if app:
                    res.update({"gc_run_" + k[3:]: v for k, v in gc_pauses(gc_file, 0, time.time()).items()})
                res["rss_mb"] = server.rss()
            finally:
                server.stop()
            results[target] = res
            print(f"{target}: {json.dumps(res)}", file=sys.stderr)

        ratios = {}
        if "app" in results:
            for ref in ("flasksock", "asyncio"):
                if ref not in results:
                    continue
                r = {}
                for cell, a in results["app"]["cells"].items():
                    b = results[ref]["cells"].get(cell, {})
                    r[cell] = {"p99": ratio(a["p99_ms"], b.get("p99_ms")),
                               "cpu_per_delivery": ratio(a["cpu_us_per_delivery"], b.get("cpu_us_per_delivery")),
                               "connect": ratio(a["connect_s"], b.get("connect_s")),
                               "rss": ratio(a["rss_mb"], b.get("rss_mb"))}
                if "burst" in results["app"] and "burst" in results[ref]:
                    r["burst_last_delivery"] = ratio(results["app"]["burst"]["last_delivery_ms"],
                                                     results[ref]["burst"]["last_delivery_ms"])
                if "idle" in results["app"] and "idle" in results[ref]:
                    r["idle_connect"] = ratio(results["app"]["idle"]["idle_connect_s"],
                                              results[ref]["idle"]["idle_connect_s"])
                ratios[f"app/{ref}"] = r
        results["ratios"] = ratios
        results["load_avg_end"] = os.getloadavg()
        print(json.dumps(results))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
