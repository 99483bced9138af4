"""Rate limits that cannot be raced: 40 synchronised guesses never evaluate more than the limit.

Each attempt is counted atomically before it is evaluated. An evaluated wrong
password answers 400 and an evaluated unknown code 404; a refused attempt
answers 429 without being looked up. Memory backend (one process, threads),
Redis backend (threads), and two gevent workers sharing Redis on PostgreSQL.
"""
from __future__ import annotations

import re
import threading
import uuid

import pytest
import requests

from conftest import make_test_app
from tests.live_server import GunicornServer, LiveServer
from workshop import create_app
from workshop.config import normalise_database_url
from workshop.db import db
from workshop.migrate import upgrade
from workshop.seed import load_seed
from workshop.web.ratelimit import DEFAULT_LIMITS

ATTEMPTS = 40
UNKNOWN_CODE = "QQQ-QQQ"  # Q is outside the join-code alphabet: never a session's code


def synchronised(n: int, prepare, fire) -> list[int]:
    """``n`` threads prepare, wait for each other, then fire at once; returns the statuses."""
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    lock = threading.Lock()

    def run():
        state = prepare()
        barrier.wait(30)
        status = fire(state)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(statuses) == n
    return statuses


def csrf_session(base: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    page = http.get(f"{base}/login", timeout=20).text
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    return http, match.group(1) if match else ""


def wrong_logins(base: str) -> list[int]:
    def prepare():
        return csrf_session(base)

    def fire(state):
        http, token = state
        return http.post(f"{base}/login", data={"email": "fien@gemeente.nl", "password": "geraden-wachtwoord",
                                                "csrf_token": token}, allow_redirects=False, timeout=60).status_code
    return synchronised(ATTEMPTS, prepare, fire)


def unknown_codes(base: str) -> list[int]:
    return synchronised(ATTEMPTS, requests.Session,
                        lambda http: http.get(f"{base}/j/{UNKNOWN_CODE}", timeout=60).status_code)


def assert_at_most_the_limit_evaluated(statuses: list[int], evaluated_status: int, scope: str) -> None:
    limit = DEFAULT_LIMITS[scope][0]
    evaluated = statuses.count(evaluated_status)
    refused = statuses.count(429)
    assert evaluated + refused == len(statuses), statuses
    assert 1 <= evaluated <= limit, f"{evaluated} of {len(statuses)} attempts evaluated (limit {limit})"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def threaded_server(request, db_path, facilitator):
    extra = {}
    if request.param == "redis":
        extra = {"RATELIMIT_STORAGE_URL": request.getfixturevalue("redis_url"),
                 "RATELIMIT_KEY_PREFIX": f"test:race:{uuid.uuid4().hex}:"}
    app = make_test_app(f"sqlite:///{db_path}", **extra)
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


def test_synchronised_wrong_passwords_evaluate_at_most_the_limit(threaded_server):
    assert_at_most_the_limit_evaluated(wrong_logins(threaded_server.url), 400, "login_ip")


def test_synchronised_unknown_codes_are_looked_up_at_most_the_limit(threaded_server):
    assert_at_most_the_limit_evaluated(unknown_codes(threaded_server.url), 404, "join_ip")


@pytest.fixture
def two_workers(pg_url, redis_url):
    url = normalise_database_url(pg_url)
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "race", "REDIS_URL": None})
    from workshop.accounts import create_facilitator
    with app.app_context():
        load_seed(db.session)
        create_facilitator(db.session, "fien@gemeente.nl", "correct-horse-battery", "Fien")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "race",
           "LIVE_NAMESPACE": f"race-{uuid.uuid4().hex[:8]}", "RATELIMIT_KEY_PREFIX": f"test:race:{uuid.uuid4().hex}:"}
    with GunicornServer(env, workers=2) as server:
        yield server


@pytest.mark.postgres
@pytest.mark.redis
def test_two_gevent_workers_on_postgres_and_redis_cannot_be_raced(two_workers):
    assert_at_most_the_limit_evaluated(wrong_logins(two_workers.url), 400, "login_ip")
    assert_at_most_the_limit_evaluated(unknown_codes(two_workers.url), 404, "join_ip")


def test_a_websocket_token_bucket_cannot_be_raced():
    """The per-connection bucket (live/ratelimit.py) takes a token and decides under one lock."""
    from workshop.live.ratelimit import TokenBucket

    frozen = [100.0]
    bucket = TokenBucket(rate=1.0, burst=10, clock=lambda: frozen[0])  # no refill during the burst
    taken = synchronised(ATTEMPTS, lambda: None, lambda _state: int(bucket.take()))
    assert taken.count(1) == 10
