"""The board fits the room: a 1366×768 laptop and a 1920×1080 projector, for the facilitator
and a participant, and the projector view with the join code and its QR code (issue 13)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import browser_join, browser_login, join
from live_server import LiveServer, WsClient, session_cookie

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SCREENSHOT_DIR")  # e.g. docs/screenshots, to refresh the documented views
LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1920, "height": 1080}


@pytest.fixture
def ontwerp(facilitator, make_session):
    return make_session(facilitator, title="Omgevingsvergunning Heerde", formula="Ontwerp", with_cards=True)


def _open_board(chromium, server, role, sid, code, viewport):
    ctx = chromium.new_context(viewport=viewport, locale="nl-NL")
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if role == "facilitator":
        browser_login(page, server.url)
        page.goto(f"{server.url}/s/{sid}")
    else:
        browser_join(page, server.url, code, "Piet Deelnemer", sid)
    page.locator("#journey .card").first.wait_for()
    page.wait_for_function("() => document.body.dataset.connection === 'online'")
    return ctx, page, errors


def _visible_at_centre(page, locator) -> bool:
    """The element is inside the window and nothing covers the middle of it."""
    return locator.evaluate("""el => {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.bottom <= 0 || r.right <= 0 || r.top >= innerHeight || r.left >= innerWidth) return false;
        const x = Math.min(Math.max(r.left + Math.min(r.width / 2, 12), 0), innerWidth - 1);
        const y = Math.min(Math.max(r.top + Math.min(r.height / 2, 10), 0), innerHeight - 1);
        const hit = document.elementFromPoint(x, y);
        return !!hit && (hit === el || el.contains(hit));
    }""")


@pytest.mark.parametrize("viewport", [LAPTOP, PROJECTOR], ids=["1366x768", "1920x1080"])
@pytest.mark.parametrize("role", ["facilitator", "participant"])
def test_the_board_fits_the_window(app, chromium, ontwerp, role, viewport):
    sid, code = ontwerp
    with LiveServer(app) as server:
        ctx, page, errors = _open_board(chromium, server, role, sid, code, viewport)
        # no page-level sideways scrolling: the document is exactly as wide as the window
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]")
        assert widths[0] == widths[2] and widths[1] <= widths[2], widths

        # the first row of cards is in sight without scrolling (the journey lanes above it too)
        first_card = page.locator("#journey tbody tr.lane .card").first
        box = first_card.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
        assert _visible_at_centre(page, first_card)
        assert page.evaluate("() => scrollY") == 0

        # every text on a card is at least 12 px at the reading zoom levels
        for level in ("normal", "compact"):
            page.click(f".zoom-btn[data-zoom={level}]")
            smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('#journey .card *')]
                .filter(n => n.childNodes.length && [...n.childNodes].some(c => c.nodeType === 3 && c.textContent.trim()))
                .map(n => parseFloat(getComputedStyle(n).fontSize)))""")
            assert smallest >= 12, (level, smallest)
        page.click(".zoom-btn[data-zoom=normal]")

        # the grid scrolls inside itself; phase headers stick to its top, lane names to its left
        grid = page.locator("#grid-scroll")
        down = grid.evaluate("g => { g.scrollTop = 1500; return g.scrollTop; }")
        assert down > 300  # it really scrolled (as far as the grid goes)
        page.wait_for_timeout(50)
        assert _visible_at_centre(page, page.locator("thead th.phase-head").first)
        assert page.evaluate("() => scrollY") == 0
        grid.evaluate("g => { g.scrollTop = 0; }")
        right = grid.evaluate("g => { g.scrollLeft = 1500; return g.scrollLeft; }")
        assert right > 300
        page.wait_for_timeout(50)
        assert _visible_at_centre(page, page.locator("tbody th.lane-head .lane-name").first)
        # and deep down a tall lane its name is still there, below the phase headers
        grid.evaluate("g => { g.scrollTop = 1500; }")
        page.wait_for_timeout(50)
        names = page.locator("tbody th.lane-head .lane-name").all()
        assert any(_visible_at_centre(page, n) for n in names)
        assert page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]") == [viewport["width"]] * 2

        # the grid's own scrollbar sits inside the window, not below a 2,300 px grid
        grid_box = grid.bounding_box()
        assert grid_box["y"] + grid_box["height"] <= viewport["height"] + 1, grid_box

        if SHOTS and viewport == LAPTOP:
            grid.evaluate("g => { g.scrollLeft = 0; g.scrollTop = 0; }")
            page.wait_for_timeout(100)
            page.screenshot(path=str(Path(SHOTS) / f"laptop-{role}.png"))
        assert errors == []
        ctx.close()


@pytest.mark.parametrize("role", ["facilitator", "participant"])
def test_no_page_level_sideways_scrolling_from_1280_px(app, chromium, ontwerp, role):
    sid, code = ontwerp
    with LiveServer(app) as server:
        ctx, page, errors = _open_board(chromium, server, role, sid, code, {"width": 1280, "height": 720})
        for width in (1280, 1366, 1440, 1600, 1920, 2560):
            page.set_viewport_size({"width": width, "height": 800})
            page.wait_for_timeout(50)
            for level in ("normal", "compact", "fit"):
                page.click(f".zoom-btn[data-zoom={level}]")
                doc = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
                assert doc[0] == doc[1], (width, level, doc)
        assert errors == []
        ctx.close()


def test_the_phase_navigator_and_whole_journey_zoom(app, chromium, ontwerp):
    sid, code = ontwerp
    with LiveServer(app) as server:
        ctx, page, errors = _open_board(chromium, server, "participant", sid, code, LAPTOP)
        jumps = page.locator("#phase-nav-list .phase-jump")
        assert jumps.count() == 11
        last_head = page.locator("thead th.phase-head").nth(10)
        assert not _visible_at_centre(page, last_head)
        jumps.nth(10).click()
        page.wait_for_function("() => document.activeElement.closest('th.phase-head')")
        page.wait_for_timeout(600)  # smooth scrolling
        assert _visible_at_centre(page, last_head)
        assert page.evaluate("() => document.activeElement.closest('th.phase-head').dataset.phaseId") == \
            last_head.get_attribute("data-phase-id")

        # the whole journey: all eleven phase headers side by side in the grid, nothing scrolls sideways
        page.click(".zoom-btn[data-zoom=fit]")
        assert page.locator(".zoom-btn[data-zoom=fit]").get_attribute("aria-pressed") == "true"
        grid = page.locator("#grid-scroll")
        assert grid.evaluate("g => g.scrollWidth <= g.clientWidth + 1")
        gbox = grid.bounding_box()
        for th in page.locator("thead th.phase-head").all():
            b = th.bounding_box()
            assert b["x"] >= gbox["x"] - 1 and b["x"] + b["width"] <= gbox["x"] + gbox["width"] + 1
        # the choice is remembered on this laptop
        page.reload()
        page.locator("#journey .card").first.wait_for()
        assert page.locator("#grid-scroll").get_attribute("data-zoom") == "fit"
        assert errors == []
        ctx.close()


def _zbar(png: Path) -> str:
    exe = shutil.which("zbarimg")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("zbarimg is required in CI: apt-get install -y zbar-tools")
        pytest.skip("zbarimg (zbar-tools) not installed")
    # QR codes only: a row of card stripes can pass for a one-dimensional barcode
    out = subprocess.run([exe, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
                         capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def test_the_projector_view_shows_the_whole_journey_code_and_qr(app, chromium, ontwerp, tmp_path):
    sid, code = ontwerp
    with LiveServer(app) as server:
        ctx = chromium.new_context(viewport=PROJECTOR, locale="nl-NL")
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        browser_login(page, server.url)
        page.goto(f"{server.url}/s/{sid}/beamer")
        page.wait_for_function("() => document.body.dataset.connection === 'online'")
        page.wait_for_timeout(200)

        # all eleven phases on the screen, nothing to scroll
        assert page.evaluate("() => [document.documentElement.scrollWidth <= innerWidth,"
                             " document.documentElement.scrollHeight <= innerHeight]") == [True, True]
        heads = page.locator("#bm-journey thead th.phase-head")
        assert heads.count() == 11
        for th in heads.all():
            b = th.bounding_box()
            assert b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= 1920 and b["y"] + b["height"] <= 1080, b
            assert _visible_at_centre(page, th)
        assert heads.nth(0).inner_text().strip().endswith("Kansen zoeken")

        # the join code is legible from the back of the room
        code_box = page.locator("#bm-code").bounding_box()
        assert page.locator("#bm-code").inner_text() == f"{code[:3]}-{code[3:]}"
        assert code_box["height"] >= 48, code_box

        # the QR code on the screen decodes to the join link
        shot = tmp_path / "beamer.png"
        page.screenshot(path=str(shot))
        assert _zbar(shot) == f"{server.url}/j/{code}"
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / "projector-view.png"))
        assert errors == []
        ctx.close()


def test_the_projector_view_follows_the_live_board(app, chromium, ontwerp):
    """A round started and a card added on the board show on the projector at once."""
    sid, code = ontwerp
    with LiveServer(app) as server:
        ctx = chromium.new_context(viewport=PROJECTOR, locale="nl-NL")
        board = ctx.new_page()
        browser_login(board, server.url)
        beamer = ctx.new_page()
        beamer.goto(f"{server.url}/s/{sid}/beamer")
        beamer.wait_for_function("() => document.body.dataset.connection === 'online'")
        board.goto(f"{server.url}/s/{sid}")
        board.wait_for_function("() => document.body.dataset.connection === 'online'")

        board.click("[data-timer=start]")
        beamer.wait_for_function("() => document.querySelector('#bm-timer').dataset.status === 'running'")
        assert re.fullmatch(r"\d+:\d\d", beamer.locator("#bm-countdown").inner_text().strip())
        assert beamer.locator("#bm-round").inner_text().strip() == "Welkom en doel van de sessie"

        board.locator("tr.lane-innovations td.cell").nth(3).locator(".add-card").click()
        board.fill("#cd-title", "Projectorkaart <img src=x onerror=window.pwned=1>")
        board.click("#card-form button[type=submit]")
        new_card = beamer.locator("#bm-journey tr.lane-innovations td.cell").nth(3).locator(".card", has_text="Projectorkaart")
        new_card.wait_for()
        # user text is text on the projector too
        assert "<img src=x" in new_card.inner_text()
        assert beamer.evaluate("() => window.pwned === undefined && !document.querySelector('#bm-journey img')")

        # focusing a phase highlights it on the projector
        first_phase = board.locator("thead th.phase-head").first.get_attribute("data-phase-id")
        board.select_option("#ctl-focus-phase", first_phase)
        beamer.locator(f'#bm-journey th.phase-head.focused[data-phase-id="{first_phase}"]').wait_for()

        # a vote: counts stay hidden on the projector until the reveal, then the ranking shows
        board.click("[data-vote=open]")
        beamer.locator("#bm-vote[data-status=open]").wait_for()
        participant = app.test_client()
        join(participant, code, "Stemmer")
        snap = participant.get(f"/api/sessions/{sid}").get_json()
        target = next(c for c in snap["cards"] if c["title"].startswith("Projectorkaart"))
        with WsClient(server.ws_url(sid), session_cookie(participant), last_seq=None) as voter:
            for _ in range(2):
                assert voter.reply_to(voter.op("vote.cast", card_id=target["id"]))["type"] == "ack"
        beamer.wait_for_function("() => document.querySelector('#bm-ranking').textContent.includes('2')")
        assert "Projectorkaart" not in beamer.locator("#bm-ranking").inner_text()
        assert beamer.locator("#bm-journey .card-votes").count() == 0
        board.click("[data-vote=reveal]")
        first = beamer.locator("#bm-ranking li").first
        first.locator(".rank-title", has_text="Projectorkaart").wait_for()
        assert "2 stemmen" in first.inner_text()
        assert beamer.locator("#bm-journey .card", has_text="Projectorkaart").locator(".card-votes").inner_text() == "2"
        ctx.close()


def test_only_the_facilitator_reaches_the_projector_view_and_the_qr(app, client, facilitator, make_session,
                                                                     make_facilitator):
    from conftest import login

    sid, code = make_session(facilitator, formula="Ontwerp")
    other_sid, _code = make_session(facilitator, title="Andere sessie")
    anonymous = app.test_client()
    foreign_status = anonymous.get(f"/s/{sid}").status_code
    assert anonymous.get(f"/s/{sid}/beamer").status_code == foreign_status
    assert anonymous.get(f"/s/{sid}/join-qr.svg").status_code == foreign_status

    # a participant of this very session knows it exists: 403 (a foreign session is still 404)
    participant = app.test_client()
    join(participant, code)
    assert participant.get(f"/s/{sid}").status_code == 200
    assert participant.get(f"/s/{other_sid}/beamer").status_code == 404
    assert participant.get(f"/s/{sid}/beamer").status_code == 403
    assert participant.get(f"/s/{sid}/join-qr.svg").status_code == 403

    # another facilitator too
    make_facilitator(email="ander@gemeente.nl", name="Ander")
    other = app.test_client()
    login(other, email="ander@gemeente.nl")
    assert other.get(f"/s/{sid}/beamer").status_code == other.get(f"/s/{sid}").status_code != 200

    login(client)
    page = client.get(f"/s/{sid}/beamer")
    assert page.status_code == 200
    assert f"{code[:3]}-{code[3:]}".encode() in page.data
    svg = client.get(f"/s/{sid}/join-qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.data.lstrip().startswith(b"<?xml") and b"<svg" in svg.data and b"<script" not in svg.data
    # the board offers the same QR code to its facilitator
    assert f"/s/{sid}/join-qr.svg".encode() in client.get(f"/s/{sid}").data
