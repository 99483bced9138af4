"""XSS and injection: hostile text is shown as text everywhere it appears.

Payloads go in through the real paths (join form, board operations, library
form, session creation) and are read back from every face: server HTML, the
board after JavaScript rendering (Chromium), JSON, PDF and CSV.
"""
from __future__ import annotations

import csv
import io
import re
import uuid
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from conftest import browser_login, join, login
from live_server import LiveServer
from workshop.db import db as database
from workshop.models import Lane, Phase

SCRIPT = "<script>alert('xss1')</script>"
IMG = "<img src=x onerror=alert('xss2')>"
JS_LINK = "javascript:alert('xss3')"
# look-alikes: Cyrillic а/е, fullwidth angle brackets, and a right-to-left override (stripped on input)
LOOKALIKE = "Gеmееntе ＜script＞alert('xss4')＜/script＞"
FORMULA = "=HYPERLINK(\"http://evil.example\",\"klik\")"
PAYLOADS = [SCRIPT, IMG, JS_LINK, LOOKALIKE]


def _hostile_board(app, client, facilitator, make_session):
    """A session whose title, phase, lane, cards, participant and library entry carry the payloads."""
    sid, code = make_session(facilitator, title=f"Sessie {SCRIPT}", formula="ontwerp", with_cards=False)
    login(client)
    res = client.post("/library", data={"name": f"Bieb {IMG}", "statements": f"Ik {SCRIPT}",
                                        "lane": "innovations"})
    assert res.status_code == 302, res.get_data(as_text=True)[:300]
    participant = app.test_client()
    join(participant, code, f"Piet {IMG}")
    with app.app_context():
        phase = database.session.scalars(select(Phase).where(Phase.session_id == sid)).first()
        lane = database.session.scalars(select(Lane).where(Lane.session_id == sid)).first()
        ids = phase.id, lane.id
    ops = [
        {"type": "phase.update", "id": ids[0], "desired_name": f"Fase {IMG}", "statement": f"Ik {JS_LINK}"},
        {"type": "lane.update", "id": ids[1], "name": f"Baan {SCRIPT}"},
    ]
    for op in ops:
        res = client.post(f"/api/sessions/{sid}/operations", json=op)
        assert res.status_code == 200, res.get_json()
    for title, statement in [(SCRIPT, IMG), (IMG, JS_LINK), (JS_LINK, LOOKALIKE), (LOOKALIKE, SCRIPT),
                             (FORMULA, "+31 6 1234"), ("@SUM(A1)", "-2+3")]:
        res = participant.post(f"/api/sessions/{sid}/operations",
                               json={"type": "card.add", "phase_id": ids[0], "lane_id": ids[1],
                                     "title": title, "statement": statement})
        assert res.status_code == 200, res.get_json()
    return sid, code, participant


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser would parse them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def _assert_inert(html: str, where: str) -> None:
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert not [k for k in attrs if k.startswith("on")], (where, tag, attrs)
        if tag == "script":
            assert "src" in attrs or attrs.get("type") == "application/json", (where, attrs)
        if tag == "img":
            assert attrs.get("src") != "x", (where, attrs)
        for key in ("href", "src", "action", "formaction"):
            assert not attrs.get(key, "").strip().lower().startswith("javascript:"), (where, tag, attrs)


def test_server_html_escapes_everything(app, client, facilitator, make_session):
    sid, code, participant = _hostile_board(app, client, facilitator, make_session)
    pages = {"board (facilitator)": client.get(f"/s/{sid}"), "dashboard": client.get("/dashboard"),
             "library": client.get("/library"), "plate": client.get(f"/s/{sid}/plate"),
             "board (participant)": participant.get(f"/s/{sid}"), "join page": app.test_client().get(f"/j/{code}")}
    for where, res in pages.items():
        assert res.status_code == 200, where
        html = res.get_data(as_text=True)
        _assert_inert(html, where)
    board = pages["board (facilitator)"].get_data(as_text=True)
    assert "&lt;script&gt;alert(" in board  # shown as text, not dropped
    assert "Gеmееntе ＜script＞" in board  # look-alikes kept as typed, no normalisation surprises
    assert "&lt;img src=x onerror=alert(" in pages["library"].get_data(as_text=True)
    assert "Sessie &lt;script&gt;" in pages["dashboard"].get_data(as_text=True)


def test_json_api_returns_the_text_unchanged_as_json(app, client, facilitator, make_session):
    sid, code, participant = _hostile_board(app, client, facilitator, make_session)
    res = participant.get(f"/api/sessions/{sid}")
    assert res.mimetype == "application/json"
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    titles = {c["title"] for c in res.get_json()["cards"]}
    assert {SCRIPT, IMG, JS_LINK, LOOKALIKE} <= titles
    lib = client.get("/api/library?q=Bieb").get_json()
    assert [e["name"] for e in lib["entries"]] == [f"Bieb {IMG}"]


def test_control_characters_and_bidi_overrides_are_stripped(app, client, facilitator, make_session):
    sid, code = make_session(facilitator, formula="ontwerp")
    login(client)
    with app.app_context():
        phase = database.session.scalars(select(Phase).where(Phase.session_id == sid)).first()
        lane = database.session.scalars(select(Lane).where(Lane.session_id == sid)).first()
        ids = phase.id, lane.id
    res = client.post(f"/api/sessions/{sid}/operations",
                      json={"type": "card.add", "phase_id": ids[0], "lane_id": ids[1],
                            "title": "abc\u202egnp.exe\u0000\u200b"})
    assert res.status_code == 200
    assert res.get_json()["event"]["data"]["card"]["title"] == "abcgnp.exe"


def test_pdf_prints_the_text_literally(app, client, facilitator, make_session):
    sid, code, participant = _hostile_board(app, client, facilitator, make_session)
    res = client.get(f"/s/{sid}/export.pdf")
    assert res.status_code == 200 and res.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(res.data)).pages)
    squashed = re.sub(r"\s+", "", text)
    for payload in (SCRIPT, IMG, JS_LINK):
        assert re.sub(r"\s+", "", payload) in squashed, payload
    assert b"/JavaScript" not in res.data and b"/JS " not in res.data and b"/URI (javascript" not in res.data


def test_csv_neutralises_formulas_and_keeps_the_text(app, client, facilitator, make_session):
    sid, code, participant = _hostile_board(app, client, facilitator, make_session)
    res = client.get(f"/s/{sid}/export.csv")
    assert res.status_code == 200
    rows = list(csv.reader(io.StringIO(res.data.decode("utf-8-sig")), delimiter=";"))
    cells = [cell for row in rows[1:] for cell in row]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells), cells
    assert "'" + FORMULA in cells and "'@SUM(A1)" in cells and "'+31 6 1234" in cells and "'-2+3" in cells
    assert SCRIPT in cells and IMG in cells
    assert f"Piet {IMG}" in cells  # author names too


def test_json_export_round_trips_the_text(app, client, facilitator, make_session):
    sid, code, participant = _hostile_board(app, client, facilitator, make_session)
    doc = client.get(f"/s/{sid}/export.json").get_json()
    assert {SCRIPT, IMG, JS_LINK, LOOKALIKE} <= {c["title"] for c in doc["cards"]}


@pytest.mark.browser
def test_board_in_chromium_shows_hostile_text_and_runs_none_of_it(app, client, chromium, facilitator,
                                                                   make_session):
    sid, code, participant = _hostile_board(app, client, facilitator, make_session)
    with LiveServer(app) as server:
        ctx = chromium.new_context(locale="nl-NL")
        page = ctx.new_page()
        dialogs, errors = [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"{server.url}/j/{code}")
        page.fill("input[name=display_name]", f"Els {SCRIPT}")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf".*/s/{sid}$"))
        grid = page.locator("main")
        for payload in PAYLOADS:
            assert any(m.is_visible() for m in grid.get_by_text(payload, exact=False).all()), payload
        # a card arriving live is rendered by the client, not the server
        live_title = f"Live {IMG} {uuid.uuid4().hex[:6]}"
        with app.app_context():
            phase = database.session.scalars(select(Phase).where(Phase.session_id == sid)).first()
            lane = database.session.scalars(select(Lane).where(Lane.session_id == sid)).first()
            ids = phase.id, lane.id
        res = participant.post(f"/api/sessions/{sid}/operations",
                               json={"type": "card.add", "phase_id": ids[0], "lane_id": ids[1], "title": live_title})
        assert res.status_code == 200
        # the event as the live layer delivers it (live.js calls the same entry point)
        page.evaluate("evt => window.workshopBoard.applyServerEvent(evt)", res.get_json()["event"])
        page.get_by_text(live_title, exact=False).first.wait_for(timeout=10_000)
        # nothing ran: no dialog, no element injected, no CSP complaint
        assert dialogs == []
        assert page.locator("main img[src=x]").count() == 0
        for script in page.locator("script").all():
            assert script.get_attribute("src") or script.get_attribute("type") == "application/json"

        assert page.locator("a[href^='javascript:']").count() == 0
        assert errors == [], errors
        ctx.close()


@pytest.mark.browser
def test_library_and_dashboard_in_chromium_run_nothing(app, client, chromium, facilitator, make_session):
    _hostile_board(app, client, facilitator, make_session)
    with LiveServer(app) as server:
        ctx = chromium.new_context(locale="nl-NL")
        page = ctx.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        browser_login(page, server.url, press_enter=True)
        assert any(m.is_visible() for m in page.get_by_text(f"Sessie {SCRIPT}", exact=False).all())
        page.goto(f"{server.url}/library")
        assert any(m.is_visible() for m in page.get_by_text(f"Bieb {IMG}", exact=False).all())
        assert dialogs == []
        ctx.close()
