"""Accessibility (WCAG 2.1 AA, a legal duty for Dutch government): axe-core on every page,
the whole participant flow by keyboard only, and the contrast of the board's colours."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import browser_login, facilitator_actor, make_test_app
from live_server import LiveServer
from workshop.board import apply_operation
from workshop.db import db as database
from workshop.models import Lane, LibraryEntry, Template

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
# the WCAG 2.0/2.1 A and AA rules (the legal norm, EN 301 549) and axe's best practices
# (heading order, landmarks): a screen-reader user navigates by them
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               "resultTypes": ["violations"]}


def _scan(page, axe) -> list[str]:
    results = axe.run(page, options=AXE_OPTIONS)
    found = []
    for v in results.response["violations"]:
        # every impact counts, minor included: a moderate heading-order slip is still a barrier
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:3]]
        found.append(f"{v['impact']} {v['id']}: {v['help']} at {targets}")
    return found


@pytest.fixture
def site(app, facilitator, make_session):
    sid, code = make_session(facilitator, title="Omgevingsvergunning", formula="ontwerp", with_cards=True)
    locked_sid, _ = make_session(facilitator, title="Op slot", formula="ontwerp", with_cards=True)
    vote_sid, vote_code = make_session(facilitator, title="Stemmen", formula="ontwerp", with_cards=True)
    with app.app_context():
        s = database.session
        fac = facilitator_actor(facilitator)
        apply_operation(s, locked_sid, fac, {"type": "session.settings", "locked": True})
        lane = s.scalars(select(Lane).where(Lane.session_id == vote_sid, Lane.kind == "innovations")).one()
        apply_operation(s, vote_sid, fac, {"type": "vote.open", "lane_id": lane.id, "votes_per_participant": 3})
        entry = LibraryEntry(name="Eigen idee", origin="own", owner_id=facilitator, channels=["email"],
                             statements=["Ik krijg bericht."])
        s.add(entry)
        s.add(Template(owner_id=facilitator, name="Mijn sjabloon", kind="session", document={}))
        s.commit()
        entry_id = entry.id
    return {"sid": sid, "code": code, "locked": locked_sid, "vote": vote_sid, "vote_code": vote_code,
            "entry": entry_id}


def test_every_page_has_no_axe_violations(app, db_path, chromium, site):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: dict[str, list[str]] = {}
    with LiveServer(app) as server:
        base = server.url
        ctx = chromium.new_context(locale="nl-NL", bypass_csp=True)
        page = ctx.new_page()

        def check(name, url=None):
            if url:
                page.goto(f"{base}{url}")
            page.wait_for_load_state("load")
            found = _scan(page, axe)
            if found:
                problems[name] = found

        check("home", "/")
        check("login", "/login")
        check("join", f"/j/{site['code']}")
        page.fill("input[name=display_name]", "Piet")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf".*/s/{site['sid']}$"))
        check("board (participant)")
        page.goto(f"{base}/j/{site['vote_code']}")
        page.fill("input[name=display_name]", "Piet")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf".*/s/{site['vote']}$"))
        check("board during a vote (participant)")
        ctx.close()

        ctx = chromium.new_context(locale="nl-NL", bypass_csp=True)
        page = ctx.new_page()
        browser_login(page, base, press_enter=True)
        check("dashboard")
        for name, url in [
            ("new session", "/sessions/new"),
            ("board (facilitator)", f"/s/{site['sid']}"),
            ("board locked", f"/s/{site['locked']}"),
            ("board during a vote (facilitator)", f"/s/{site['vote']}"),
            ("projector view", f"/s/{site['sid']}/beamer"),
            ("projector view during a vote", f"/s/{site['vote']}/beamer"),
            ("plate", f"/s/{site['sid']}/plate"),
            ("templates", "/templates"),
            ("save as template", f"/sessions/{site['sid']}/save-template"),
            ("library", "/library"),
            ("library entry", f"/library/{site['entry']}/edit"),
            ("import", "/sessions/import"),
        ]:
            check(name, url)
        # the join dialog with its QR code, open over the board
        page.goto(f"{base}/s/{site['sid']}")
        page.click("#join-open")
        page.locator("#join-dialog[open]").wait_for()
        check("join dialog")
        ctx.close()

    # registration is only open on an installation without accounts
    fresh = make_test_app(f"sqlite:///{db_path}", ALLOW_REGISTRATION=True)
    with LiveServer(fresh) as server:
        ctx = chromium.new_context(locale="nl-NL", bypass_csp=True)
        page = ctx.new_page()
        base = server.url
        check("register", "/register")
        ctx.close()
    assert problems == {}, "\n".join(f"{page}: {p}" for page, ps in problems.items() for p in ps)


def test_the_participant_flow_works_with_the_keyboard_only(app, chromium, facilitator, make_session):
    """Join by code, add a card, move it to another phase and vote, without touching the mouse."""
    sid, code = make_session(facilitator, title="Toetsenbord", formula="ontwerp", with_cards=False)
    with app.app_context():
        s = database.session
        lane = s.scalars(select(Lane).where(Lane.session_id == sid, Lane.kind == "innovations")).one()
        apply_operation(s, sid, facilitator_actor(facilitator),
                        {"type": "vote.open", "lane_id": lane.id, "votes_per_participant": 3})
        s.commit()
    with LiveServer(app) as server:
        ctx = chromium.new_context(locale="nl-NL")
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.url}/")
        _tab_to(page, page.locator("input[name=code]"))
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/j/"))
        _tab_to(page, page.locator("input[name=display_name]"))
        page.keyboard.type("Toets Tester")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf".*/s/{sid}$"))

        # add a card to the first phase of the innovations lane
        cells = page.locator("tr.lane-innovations td.cell")
        _tab_to(page, cells.nth(0).locator(".add-card"))
        _assert_focus_visible(page)
        page.keyboard.press("Enter")
        page.keyboard.type("Track & Trace")
        page.keyboard.press("Enter")
        card = cells.nth(0).locator(".card:not(.pending)", has_text="Track & Trace")
        card.wait_for()

        # move it one phase on: focus the card, Alt+→
        _tab_to(page, card)
        _assert_focus_visible(page)
        page.keyboard.press("Alt+ArrowRight")
        moved = cells.nth(1).locator(".card:not(.pending)", has_text="Track & Trace")
        moved.wait_for()

        # vote for it
        _tab_to(page, moved.locator(".vote-plus"))
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelector('.vote-mine') && "
                               "document.querySelector('.vote-mine').textContent.includes('●')", timeout=10_000)
        snap = ctx.request.get(f"{server.url}/api/sessions/{sid}").json()
        card_json = next(c for c in snap["cards"] if c["title"] == "Track & Trace")
        assert card_json["phase_id"] == snap["phases"][1]["id"]
        assert errors == []
        ctx.close()
    with app.app_context():
        from workshop.models import Vote
        assert database.session.scalars(select(Vote.count).where(Vote.card_id == card_json["id"])).all() == [1]


def test_the_room_controls_work_with_the_keyboard_only(app, chromium, facilitator, make_session):
    """The facilitator's phase navigator, zoom, join dialog (QR code) and "More" drawer, by keyboard."""
    sid, code = make_session(facilitator, title="Toetsenbord", formula="ontwerp", with_cards=True)
    with LiveServer(app) as server:
        ctx = chromium.new_context(locale="nl-NL", viewport={"width": 1366, "height": 768})
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        browser_login(page, server.url, press_enter=True)
        page.goto(f"{server.url}/s/{sid}")
        page.locator("#journey .card").first.wait_for()

        # jump to the last phase: the keyboard lands on that phase's header, which is in sight
        last = page.locator("#phase-nav-list .phase-jump").last
        _tab_to(page, last)
        _assert_focus_visible(page)
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.activeElement.closest('th.phase-head') !== null")
        page.wait_for_timeout(600)
        focused = page.evaluate("() => { const th = document.activeElement.closest('th.phase-head');"
                                " const r = th.getBoundingClientRect(); return [th.dataset.phaseId, r.left, r.right]; }")
        assert focused[0] == last.get_attribute("data-phase-id")
        assert 0 <= focused[1] and focused[2] <= 1366

        # zoom out to the whole journey and back
        whole = page.locator(".zoom-btn[data-zoom=fit]")
        _tab_to(page, whole)
        page.keyboard.press("Enter")
        assert whole.get_attribute("aria-pressed") == "true"
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        assert page.locator("#grid-scroll").get_attribute("data-zoom") == "normal"

        # the join dialog: code and QR code; Escape closes it and the focus comes back
        _tab_to(page, page.locator("#join-open"))
        page.keyboard.press("Enter")
        page.locator("#join-dialog[open] img.join-qr").wait_for()
        page.keyboard.press("Escape")
        page.wait_for_function("() => !document.querySelector('#join-dialog').open")
        assert page.evaluate("() => document.activeElement.id") == "join-open"

        # the drawer of rarely used settings opens with Enter, its fields are reachable, Escape closes it
        summary = page.locator("#control-more summary")
        _tab_to(page, summary)
        page.keyboard.press("Enter")
        _tab_to(page, page.locator("#ctl-vote-max"))
        page.keyboard.press("Escape")
        assert page.locator("#control-more").evaluate("d => d.open") is False
        assert page.evaluate("() => document.activeElement.closest('#control-more summary') !== null")
        assert errors == []
        ctx.close()


def _tab_to(page, locator, limit: int = 600) -> None:
    """Press Tab until ``locator`` has the focus (fails if the keyboard cannot reach it)."""
    locator.wait_for(state="attached")
    for _ in range(limit):
        # resolved afresh each time: a live update may redraw the element while we tab
        if locator.evaluate("el => document.activeElement === el"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} cannot be reached with Tab")


def _assert_focus_visible(page) -> None:
    """The focused element shows it: an outline or a box shadow (WCAG 2.4.7)."""
    style = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                          " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }")
    assert (style[0] != "none" and style[1] != "0px") or style[2] != "none", style


# ---------------------------------------------------------------------------
# contrast of the board's colours


def _hex(value: str) -> tuple[float, float, float] | None:
    m = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value.strip())
    if not m:
        return None
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _luminance(rgb) -> float:
    def channel(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_wcag_examples():
    assert contrast((0, 0, 0), (1, 1, 1)) == pytest.approx(21)
    assert contrast(_hex("#767676"), _hex("#ffffff")) == pytest.approx(4.54, abs=0.01)


def _css_variables() -> dict[str, tuple]:
    css = (ROOT / "static" / "css" / "app.css").read_text()
    root = re.search(r":root\s*\{(.*?)\}", css, re.S).group(1)
    out = {}
    for name, value in re.findall(r"--([a-z0-9-]+)\s*:\s*([^;]+);", root):
        rgb = _hex(value)
        if rgb is not None:
            out[name] = rgb
    return out


WHITE = (1.0, 1.0, 1.0)
LANES = ("current", "desired", "innovations", "backoffice", "custom")


def test_text_colours_have_at_least_4_5_to_1_contrast():
    """Text on cards (white), on panels and the page, and each lane's ink on its lane colour."""
    v = _css_variables()
    pairs = {
        "ink on a card": (v["ink"], WHITE), "ink on the page": (v["ink"], v["bg"]),
        "muted on a card": (v["muted"], WHITE), "muted on the page": (v["muted"], v["bg"]),
        "brand (links, buttons) on white": (v["brand"], WHITE), "white on brand buttons": (WHITE, v["brand"]),
        "danger on white": (v["danger"], WHITE), "accent on white": (v["accent"], WHITE),
    }
    for lane in LANES:
        pairs[f"{lane} lane ink on its lane"] = (v[f"lane-{lane}-ink"], v[f"lane-{lane}"])
        pairs[f"muted on the {lane} lane"] = (v["muted"], v[f"lane-{lane}"])
    low = {name: round(contrast(*pair), 2) for name, pair in pairs.items() if contrast(*pair) < 4.5}
    assert low == {}, low


def test_card_borders_and_the_focus_ring_have_at_least_3_to_1_contrast():
    """Non-text contrast (WCAG 1.4.11): each lane's card stripe on a white card, and the focus
    outline against every background it can sit on."""
    v = _css_variables()
    pairs = {f"{lane} card stripe on the card": (v[f"lane-{lane}-ink"], WHITE) for lane in LANES}
    pairs["brand card stripe"] = (v["brand"], WHITE)
    for name in ("bg", "panel", *(f"lane-{lane}" for lane in LANES)):
        pairs[f"focus ring on {name}"] = (v["focus"], v[name])
    low = {name: round(contrast(*pair), 2) for name, pair in pairs.items() if contrast(*pair) < 3}
    assert low == {}, low
