"""No request waits on Redis (rate-limit counts, live presence) with a database transaction open.

On SQLite a transaction holds the process's writer lock, on PostgreSQL a pooled connection; a slow
or unreachable Redis (up to its 2 s timeouts per call) would then stall every live edit behind it
(docs/deployment.md, "Short transactions"). The stores here are the real ones, watched on each call.
"""
from __future__ import annotations

import pytest

from conftest import login
from live_server import http_client


class Watched:
    """Passes every call on to ``inner`` and notes whether a database transaction was open then."""

    def __init__(self, inner, calls: list):
        self._inner = inner
        self._calls = calls

    def __getattr__(self, name):
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            from workshop.db import db
            self._calls.append((name, db.session().in_transaction()))
            return value(*args, **kwargs)
        return call


@pytest.fixture
def calls(app):
    noted: list = []
    limiter = app.extensions["ratelimit"]
    limiter.storage = Watched(limiter.storage, noted)
    app.extensions["presence"] = Watched(app.extensions["presence"], noted)
    return noted


def test_joining_by_code_refunds_the_attempt_with_no_transaction_open(app, facilitator, make_session, calls):
    _sid, code = make_session(facilitator)
    c = http_client(app)
    assert c.post("/", data={"code": code}).status_code == 302
    assert c.get(f"/j/{code}").status_code == 200
    refunds = [open_ for name, open_ in calls if name == "decr"]
    assert len(refunds) == 2  # both valid codes were refunded
    assert not any(open_ for _name, open_ in calls), calls


def test_the_dashboard_reads_presence_with_no_transaction_open(app, facilitator, make_session, calls):
    make_session(facilitator)
    c = http_client(app)
    login(c)
    calls.clear()
    assert c.get("/dashboard").status_code == 200
    assert [name for name, _open in calls] == ["people"]
    assert not any(open_ for _name, open_ in calls), calls
