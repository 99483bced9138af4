"""The one pinger per process (workshop/live/pinger.py): every open connection is pinged once per
interval, never much early, and connections that come due close together share one wake-up.

Plain threads and stand-in connections: what is under test is the schedule, not the socket
(tests/test_live_wire.py pings real sockets).
"""
import threading
import time
import uuid

from flask import Flask

from workshop.live.pinger import Pinger

INTERVAL = 1.0  # so a round gathers what comes due within 0.1 s


class Conn:
    session_id = 1
    ping_interval = INTERVAL

    def __init__(self, rounds: list):
        self.conn_id = uuid.uuid4().hex
        self.closed = threading.Event()
        self.ticks: list[float] = []
        self.rounds = rounds

    def idle_tick(self):
        t = time.monotonic()
        self.ticks.append(t)
        self.rounds.append(t)


class CountingPinger(Pinger):
    """Counts its rounds: the wake-ups that ticked something."""

    def __init__(self, app):
        super().__init__(app)
        self.rounds = 0

    def _tick(self, ready, now, again):
        self.rounds += bool(ready)
        super()._tick(ready, now, again)


def test_connections_joining_over_a_moment_are_pinged_together_once_per_interval():
    pinger, rounds = CountingPinger(Flask(__name__)), []
    conns = []
    t0 = time.monotonic()
    for _ in range(20):  # twenty joins, 1 ms apart (the round gathers 0.1 s)
        c = Conn(rounds)
        conns.append(c)
        pinger.add(c)
        time.sleep(0.001)
    time.sleep(3 * INTERVAL + 0.4)
    for c in conns:
        c.closed.set()
    # every connection ticked at each interval: three times in 3.4 s
    assert all(len(c.ticks) == 3 for c in conns), [len(c.ticks) for c in conns]
    # in one wake-up per interval, not one per connection
    assert pinger.rounds == 3
    for c in conns:
        gaps = [b - a for a, b in zip([t0] + c.ticks, c.ticks)]
        assert all(INTERVAL - pinger.grain - 0.05 <= g <= INTERVAL + 0.4 for g in gaps), gaps


def test_a_closed_connection_is_not_pinged_again_and_the_others_go_on():
    pinger, rounds = Pinger(Flask(__name__)), []
    stays, leaves = Conn(rounds), Conn(rounds)
    pinger.add(stays)
    pinger.add(leaves)
    time.sleep(INTERVAL + 0.4)
    leaves.closed.set()
    time.sleep(INTERVAL)
    stays.closed.set()
    assert len(leaves.ticks) == 1
    assert len(stays.ticks) == 2


def test_a_failing_idle_check_does_not_stop_the_pings_of_the_others():
    pinger, rounds = Pinger(Flask(__name__)), []

    class Broken(Conn):
        def idle_tick(self):
            super().idle_tick()
            raise RuntimeError("database gone")

    broken, fine = Broken(rounds), Conn(rounds)
    pinger.add(broken)
    pinger.add(fine)
    time.sleep(2 * INTERVAL + 0.4)
    broken.closed.set()
    fine.closed.set()
    assert len(fine.ticks) == 2 and len(broken.ticks) == 2


def test_with_redis_a_round_refreshes_presence_in_one_round_trip_and_never_revives_a_closed_one(redis_url):
    import redis

    from workshop.live.presence import RedisPresence

    client = redis.Redis.from_url(redis_url)
    sent = []

    class Counting(redis.Redis):
        def pipeline(self, *a, **kw):
            pipe = super().pipeline(*a, **kw)
            execute = pipe.execute

            def counted(*ea, **ekw):
                sent.append(len(pipe.command_stack))
                return execute(*ea, **ekw)
            pipe.execute = counted
            return pipe

    store = RedisPresence(Counting.from_url(redis_url), ttl=60, namespace=f"t{uuid.uuid4().hex[:8]}")
    app = Flask(__name__)
    app.extensions["presence"] = store
    pinger = Pinger(app)

    class Present(Conn):
        def __init__(self, rounds, n):
            super().__init__(rounds)
            self.conn_id, self.n = f"c{n}", n

        def _presence_entry(self):
            return {"kind": "participant", "id": self.n, "name": f"P{self.n}", "editing": self.editing}

        def idle_tick(self):
            super().idle_tick()
            self.editing = None
            store.set(7, self.conn_id, self._presence_entry())
            if self.n == 0:  # closes (and leaves) while the round is still going
                self.closed.set()
                store.remove(7, self.conn_id)
            if self.n == 1:  # opens a card while the round is still going: its reader writes at once
                def opens():
                    self.editing = 42
                    store.set(7, self.conn_id, self._presence_entry())
                reader = threading.Thread(target=opens)
                reader.start()
                reader.join()

    rounds = []
    conns = [Present(rounds, n) for n in range(30)]
    for c in conns:
        pinger.add(c)
    time.sleep(INTERVAL + 0.4)
    for c in conns:
        c.closed.set()
    assert sent == [2, 29 + 1], sent  # the reader's own write; the round in one: 29 refreshes, the expiry
    people = store.people(7)
    assert sorted(p["id"] for p in people) == list(range(1, 30))  # the one that left stays gone
    assert [p["editing"] for p in people if p["id"] == 1] == [42]  # the refresh did not undo the change
    client.delete(store._key(7))
