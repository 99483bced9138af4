"""The app as an operations team gets it: a wheel, installed in a fresh virtualenv, no checkout.

The second test runs the README's "Running it in production" block as written (only
DATABASE_URL, REDIS_URL and a free BIND port are the test's own), then uses the
installation as a facilitator and a participant would.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import zipfile
from pathlib import Path

import pytest
from markupsafe import escape

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_FOLDERS = ("templates", "static", "seed", "migrations")
USER_AGENT = "Mozilla/5.0 (recipe test)"  # one browser: the login is bound to it (session_protection)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=300)
    (path,) = out.glob("workshop-*.whl")
    return path


def _source_files(folder: str) -> set[str]:
    tracked = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode == 0 and tracked.stdout.strip():
        return set(tracked.stdout.split())
    return {str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_wheel_holds_templates_static_seed_migrations_and_the_compiled_catalogue(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for folder in RUNTIME_FOLDERS:
            wanted = {f"workshop/{path}" for path in _source_files(folder)}
            assert wanted, folder
            assert wanted <= names, f"missing from the wheel: {sorted(wanted - names)[:10]}"
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert "workshop/migrations/env.py" in names
        assert "workshop/seed/channels.yaml" in names
        mo = "workshop/translations/nl/LC_MESSAGES/messages.mo"
        assert mo in names
        from babel.messages.mofile import read_mo
        import io

        catalogue = read_mo(io.BytesIO(zf.read(mo)))
        assert catalogue.get("Join the session").string == "Doe mee aan de sessie"
        entry_points = zf.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
        assert "workshop = workshop.cli:main" in entry_points


# -- the production recipe ------------------------------------------------------------------------

def readme_recipe() -> list[str]:
    """The shell lines of the README's "Running it in production" block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Running it in production", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A user agent: keeps its cookies (Secure ones too: TLS ends at the proxy), no redirects followed."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                body: bytes | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"User-Agent": USER_AGENT, **(headers or {})}
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=headers)
        res = conn.getresponse()
        data = res.read()
        for name, value in res.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        conn.close()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, data

    def get(self, path: str):
        return self.request("GET", path)

    def submit(self, path: str, fields: dict):
        """Open the page with the form, then post it with its CSRF token, as a browser does."""
        status, _, page = self.get(path)
        assert status == 200, (path, status)
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
            re.search(rb'name="csrf_token" value="([^"]+)"', page)
        return self.request("POST", path, form={"csrf_token": token.group(1).decode(), **fields})


def _worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def _serving_worker(client_port: int, workers: list[int]) -> int | None:
    """The gunicorn worker whose socket is the other end of our connection from ``client_port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == client_port:  # the remote end is our client
                inodes.add(fields[9])
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return pid
    return None


def _ws_connect(port: int, session_id: int, browser: Browser):
    from websockets.sync.client import connect

    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    ws = connect(f"ws://127.0.0.1:{port}/ws/sessions/{session_id}", origin=f"http://127.0.0.1:{port}",
                 additional_headers={"Cookie": cookie}, user_agent_header=USER_AGENT,
                 open_timeout=10).__enter__()
    return ws, ws.socket.getsockname()[1]


def _wait_for(ws, pred, timeout=10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if pred(frame):
            return frame


@pytest.mark.postgres
@pytest.mark.redis
def test_readme_production_recipe_from_a_folder_without_source(wheel, pg_url, redis_url, tmp_path):
    recipe = readme_recipe()
    assert any(line.startswith("pip install workshop-") for line in recipe), recipe
    assert recipe[-1].startswith("workshop serve --production"), recipe
    here = tmp_path / "server"
    here.mkdir()
    shutil.copy(wheel, here)
    port = _free_port()
    ours = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url}
    lines = ["set -eo pipefail", f"export BIND=127.0.0.1:{port}"]
    for line in recipe:
        name = re.match(r"export (\w+)=", line)
        lines.append(f"export {name.group(1)}={ours[name.group(1)]}" if name and name.group(1) in ours else line)
    lines[-1] = "exec " + lines[-1]  # gunicorn's master becomes the process we stop
    (here / "recipe.sh").write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(str(ROOT)))
    log = (here / "recipe.log").open("wb")
    proc = subprocess.Popen(["bash", "recipe.sh"], cwd=here, env=env, stdin=subprocess.PIPE, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)  # no tty: getpass reads stdin
    proc.stdin.write(b"correct-horse-battery\ncorrect-horse-battery\n")
    proc.stdin.close()
    try:
        _wait_until_serving(proc, port, here / "recipe.log")
        _use_it_as_people_do(port, proc.pid, here)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()


def _wait_until_serving(proc, port: int, log: Path, timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the recipe stopped with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if len(_worker_pids(proc.pid)) == 2:
                    time.sleep(1.0)  # both workers have imported the app
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"gunicorn did not start:\n{log.read_text()[-4000:]}")


def _use_it_as_people_do(port: int, master: int, here: Path) -> None:
    log = (here / "recipe.log").read_text()
    assert "database is at revision head" in log and re.search(r"library: [1-9]\d* created", log), log[-2000:]
    assert not (here / "workshop").exists() and not (here / "templates").exists()  # no source here

    # the home page, in Dutch, with its stylesheet
    visitor = Browser(port)
    status, _, page = visitor.get("/")
    html = page.decode()
    assert status == 200 and '<html lang="nl">' in html and "Doe mee aan de sessie" in html, html[:500]
    css_href = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    status, headers, css = visitor.get(css_href)
    assert status == 200 and headers["content-type"].startswith("text/css") and b".topbar" in css

    # the facilitator made with `workshop facilitator create` logs in and starts from a formula template
    fien = Browser(port)
    status, headers, _ = fien.submit("/login", {"email": "fien@gemeente.nl", "password": "correct-horse-battery"})
    assert status == 302 and headers["location"].endswith("/dashboard"), status
    status, headers, body = fien.submit("/sessions/new", {"title": "Omgevingsvergunning", "start": "formula:ontwerp",
                                                          "with_cards": "y"})
    assert status == 302, body[:1000]
    session_id = int(re.search(r"/s/(\d+)$", headers["location"]).group(1))
    status, _, body = fien.get(f"/api/sessions/{session_id}")
    cards = json.loads(body)["cards"]
    assert status == 200 and cards, "the formula template brought no cards"
    status, _, board = fien.get(f"/s/{session_id}")
    assert status == 200 and str(escape(cards[0]["title"])) in board.decode()
    code = re.search(r"/j/([A-Z0-9]+)", board.decode()).group(1)

    # a participant joins by code
    piet = Browser(port)
    status, headers, _ = piet.submit("/", {"code": code})
    assert status == 302, status
    status, headers, _ = piet.submit(headers["location"], {"display_name": "Piet"})
    assert status == 302 and headers["location"].endswith(f"/s/{session_id}")

    # both go live, on different workers: the card crosses processes through Redis
    workers = _worker_pids(master)
    assert len(workers) == 2, workers
    fien_ws, fien_port = _ws_connect(port, session_id, fien)
    fien_worker = _serving_worker(fien_port, workers)
    for _attempt in range(30):
        piet_ws, piet_port = _ws_connect(port, session_id, piet)
        piet_worker = _serving_worker(piet_port, workers)
        if piet_worker not in (None, fien_worker):
            break
        piet_ws.close()
    else:
        pytest.fail("every participant connection landed on the facilitator's worker")
    assert fien_worker is not None
    try:
        piet_ws.send(json.dumps({"type": "hello", "last_seq": None}))
        snapshot = _wait_for(piet_ws, lambda f: f["type"] == "snapshot")["snapshot"]
        assert {c["id"] for c in snapshot["cards"]} == {c["id"] for c in cards}
        _wait_for(piet_ws, lambda f: f["type"] == "synced")
        fien_ws.send(json.dumps({"type": "hello", "last_seq": snapshot["seq"]}))
        _wait_for(fien_ws, lambda f: f["type"] == "synced")
        phase, lane = snapshot["phases"][0]["id"], snapshot["lanes"][0]["id"]
        fien_ws.send(json.dumps({"type": "op", "op": {"type": "card.add", "op_id": "f-recipe-1", "phase_id": phase,
                                                      "lane_id": lane, "title": "Track & Trace"}}))
        seen = _wait_for(piet_ws, lambda f: f["type"] == "event" and f["op_id"] == "f-recipe-1")
        assert seen["data"]["card"]["title"] == "Track & Trace"
    finally:
        fien_ws.close()
        piet_ws.close()

    # the report
    status, headers, pdf = fien.get(f"/s/{session_id}/export.pdf")
    assert status == 200 and headers["content-type"] == "application/pdf" and pdf.startswith(b"%PDF")
    assert len(pdf) > 10_000
