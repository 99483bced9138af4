"""Shared fixtures. Every test database is built by the real Alembic migrations, never create_all."""
from __future__ import annotations

import os
import re
import shutil
import time
import uuid

import pytest

from workshop import create_app
from workshop.board import Actor
from workshop.db import db as database
from workshop.migrate import upgrade
from workshop.seed import load_seed
from workshop.web.ratelimit import MemoryStorage

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

PASSWORD = "correct-horse-battery"


def _service_missing(what: str, err: Exception):
    """Skip locally; in CI a missing service is a failure."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI but not reachable: {err}")
    pytest.skip(f"{what} not reachable: {err}")


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory):
    """Migrate and seed once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test"})
    with app.app_context():
        load_seed(database.session)
        database.session.commit()
        database.session.remove()
        database.engine.dispose()
    return path


def make_test_app(url: str, **extra):
    config = {"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False,
              "REDIS_URL": None, "SERVER_NAME": None}
    config.update(extra)
    app = create_app(config)
    storage = getattr(app.extensions.get("ratelimit"), "storage", None)
    if isinstance(storage, MemoryStorage):
        # the rate limits count in fixed windows of 10-15 minutes: a test that straddled the end of one
        # would see its count start again; on this clock every test starts at the start of every window
        start = time.time()
        storage.clock = lambda: time.time() - start
    return app


@pytest.fixture
def db_path(seeded_sqlite, tmp_path):
    path = tmp_path / "test.sqlite3"
    shutil.copy(seeded_sqlite, path)
    return path


@pytest.fixture
def app(db_path):
    app = make_test_app(f"sqlite:///{db_path}")
    yield app
    with app.app_context():
        database.session.remove()
        database.engine.dispose()


@pytest.fixture
def csrf_app(db_path):
    """An app with CSRF protection on, as in production."""
    app = make_test_app(f"sqlite:///{db_path}", WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        database.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    with app.app_context():
        yield database.session


@pytest.fixture
def make_facilitator(app):
    from workshop.accounts import create_facilitator

    def make(email="fien@gemeente.nl", name="Fien Facilitator", password=PASSWORD):
        with app.app_context():
            f = create_facilitator(database.session, email, password, name)
            database.session.commit()
            return f.id
    return make


@pytest.fixture
def facilitator(make_facilitator):
    return make_facilitator()


def login(client, email="fien@gemeente.nl", password=PASSWORD):
    res = client.post("/login", data={"email": email, "password": password})
    assert res.status_code == 302, res.data[:500]
    return res


@pytest.fixture
def make_session(app):
    """Create a workshop session directly through ``workshop.sessions`` (returns its id and code)."""
    from workshop.sessions import create_session, find_formula

    def make(facilitator_id, title="Omgevingsvergunning", formula=None, with_cards=False):
        with app.app_context():
            f = find_formula(database.session, formula) if formula else None
            ws = create_session(database.session, facilitator_id, title=title, formula=f, with_cards=with_cards,
                                municipality="Heerde", product="Omgevingsvergunning")
            database.session.commit()
            return ws.id, ws.join_code
    return make


def join(client, code, name="Piet Participant"):
    res = client.post(f"/j/{code}", data={"display_name": name})
    assert res.status_code == 302, res.data[:500]
    return res


def browser_login(page, base: str, email="fien@gemeente.nl", password=PASSWORD, *, press_enter=False):
    """Log a facilitator in through the login form of a Chromium page (Enter, or a click on the button)."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    if press_enter:
        page.keyboard.press("Enter")
    else:
        page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")


def browser_join(page, base: str, code: str, name: str, session_id: int | None = None):
    """Join a session through its link as a participant in a Chromium page; waits for the board."""
    page.goto(f"{base}/j/{code}")
    page.fill("#display_name", name)
    page.click("main form button[type=submit]")
    board = str(session_id) if session_id is not None else r"\d+"
    page.wait_for_url(re.compile(rf"/s/{board}$"))


def facilitator_actor(facilitator_id: int) -> Actor:
    return Actor("facilitator", facilitator_id, "Fien Facilitator")


def pg_board(pg_url: str, email: str):
    """A migrated, seeded PostgreSQL database with one facilitator and one Ontwerp session with
    its cards: ``(app, facilitator id, session id)``."""
    from workshop.accounts import create_facilitator
    from workshop.sessions import create_session, find_formula

    upgrade(pg_url)
    app = make_test_app(pg_url)
    with app.app_context():
        load_seed(database.session)
        fac = create_facilitator(database.session, email, "een-lang-wachtwoord", email.split("@")[0])
        ws = create_session(database.session, fac.id, title=email, formula=find_formula(database.session, "Ontwerp"),
                            with_cards=True)
        database.session.commit()
        ids = fac.id, ws.id
        database.session.remove()
    return (app, *ids)


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as err:  # pragma: no cover - depends on the machine
        _service_missing("PostgreSQL", err)
    name = f"workshop_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.fixture
def redis_url():
    try:
        import redis

        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except Exception as err:  # pragma: no cover
        _service_missing("Redis", err)
    return REDIS_TEST_URL


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail("Chromium is required in CI: apt-get install -y chromium")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


SERVICE_MARKERS = {"pg_url": "postgres", "redis_url": "redis"}


def pytest_collection_modifyitems(items):
    """A test that uses the PostgreSQL or Redis fixture carries that marker (``-m "not postgres"``)."""
    for item in items:
        for fixture, marker in SERVICE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()) and not item.get_closest_marker(marker):
                item.add_marker(getattr(pytest.mark, marker))
