"""Two people in Chromium on one board: each sees the other's changes without reloading."""
from __future__ import annotations

import pytest

from tests.conftest import browser_join, browser_login
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(chromium):
    """The session-wide Chromium from conftest: one Playwright instance per test run."""
    return chromium


@pytest.fixture
def live(app):
    with LiveServer(app) as server:
        yield server


def board_cards(page) -> list[tuple]:
    """What a person sees: every card's title, cell and place in its cell."""
    return page.evaluate("""() => {
        const s = window.workshopBoard.state;
        const cards = [...s.cards].filter(c => !String(c.id).startsWith('tmp-'));
        cards.sort((a, b) => (a.position - b.position) || (a.id - b.id));
        return cards.map(c => [c.title, c.phase_id, c.lane_id, cards.filter(o => o.phase_id === c.phase_id
            && o.lane_id === c.lane_id).indexOf(c)]).sort();
    }""")


def wait_online(page):
    page.wait_for_selector('#connection-state[data-state="online"]', timeout=10000)


def add_card(page, phase_id, lane_id, title):
    page.locator(f'.cell[data-phase-id="{phase_id}"][data-lane-id="{lane_id}"] .add-card').click()
    page.fill("#cd-title", title)
    page.locator('#card-form button[type="submit"]').click()


def card(page, title):
    return page.locator(".card", has_text=title)


def in_cell(page, phase_id, lane_id, title):
    return page.locator(f'.cell[data-phase-id="{phase_id}"][data-lane-id="{lane_id}"] .card', has_text=title)


def test_changes_by_one_appear_for_the_other_and_offline_work_is_kept(browser, live, facilitator, make_session):
    from playwright.sync_api import expect

    session_id, code = make_session(facilitator, formula="ontwerp")
    fac_ctx, par_ctx = browser.new_context(), browser.new_context()
    fac, par = fac_ctx.new_page(), par_ctx.new_page()
    for page in (fac, par):
        page.on("dialog", lambda d: d.accept())  # confirm() before deleting

    browser_login(fac, live.url)
    fac.goto(f"{live.url}/s/{session_id}")
    browser_join(par, live.url, code, "Piet", session_id)
    wait_online(fac)
    wait_online(par)

    state = fac.evaluate("() => window.workshopBoard.state")
    phases = [p["id"] for p in sorted(state["phases"], key=lambda p: p["position"])]
    lanes = {lane["kind"]: lane["id"] for lane in state["lanes"]}
    lane = lanes.get("innovations") or next(iter(lanes.values()))

    # add (participant) → facilitator
    add_card(par, phases[0], lane, "Track & Trace")
    expect(in_cell(fac, phases[0], lane, "Track & Trace")).to_be_visible()

    # edit (facilitator) → participant
    card(fac, "Track & Trace").dblclick()
    fac.fill("#cd-title", "Track & Trace voor iedereen")
    fac.locator('#card-form button[type="submit"]').click()
    expect(card(par, "Track & Trace voor iedereen")).to_be_visible()

    # move by drag (participant) → facilitator
    target = par.locator(f'.cell[data-phase-id="{phases[1]}"][data-lane-id="{lane}"]')
    card(par, "voor iedereen").drag_to(target)
    expect(in_cell(fac, phases[1], lane, "voor iedereen")).to_be_visible()

    # move by keyboard (facilitator: focus the card, Alt+→) → participant
    card(fac, "voor iedereen").focus()
    fac.keyboard.press("Alt+ArrowRight")
    expect(in_cell(par, phases[2], lane, "voor iedereen")).to_be_visible()

    # delete (participant, Delete key + confirm) → facilitator
    card(par, "voor iedereen").focus()
    par.keyboard.press("Delete")
    expect(card(fac, "voor iedereen")).to_have_count(0)

    # the participant loses the network, adds two cards, and comes back
    par_ctx.set_offline(True)
    par.wait_for_selector('#connection-state[data-state="offline"]', timeout=5000)
    add_card(par, phases[0], lane, "Offline één")
    add_card(par, phases[1], lane, "Offline twee")
    expect(card(par, "Offline twee")).to_be_visible()  # shown at once, pending
    expect(card(par, "Offline twee").locator(".not-saved")).to_have_text("Nog niet opgeslagen")
    expect(card(fac, "Offline één")).to_have_count(0)
    # a card made offline can already be corrected and moved (it has no id yet)
    card(par, "Offline twee").locator(".card-menu-btn").click()
    par.get_by_role("menuitem", name="Bewerken").click()
    par.fill("#cd-title", "Offline twee, verbeterd")
    par.locator('#card-form button[type="submit"]').click()
    card(par, "Offline één").focus()
    par.keyboard.press("Alt+ArrowRight")
    expect(in_cell(par, phases[1], lane, "Offline één")).to_be_visible()
    par_ctx.set_offline(False)
    wait_online(par)
    expect(in_cell(fac, phases[1], lane, "Offline één")).to_be_visible()
    expect(in_cell(fac, phases[1], lane, "Offline twee, verbeterd")).to_be_visible()
    expect(card(par, "Offline twee").locator(".not-saved")).to_be_hidden()
    par.wait_for_function("() => window.workshopBoard.live.outbox.length === 0")
    fac.wait_for_function(f"() => window.workshopBoard.state.seq === "
                          f"{par.evaluate('() => window.workshopBoard.state.seq')}")
    assert board_cards(par) == board_cards(fac)
    assert fac.evaluate("() => window.workshopBoard.state.seq") == par.evaluate("() => window.workshopBoard.state.seq")
    fac_ctx.close()
    par_ctx.close()


def test_changes_queued_before_a_reload_are_shown_after_it_and_then_saved(browser, live, app, make_session,
                                                                           facilitator):
    """A laptop that cannot reach the server is reloaded: what its person typed is still on the board."""
    from playwright.sync_api import expect

    session_id, code = make_session(facilitator, formula="ontwerp")
    ctx = browser.new_context()
    page = ctx.new_page()
    reachable = {"yes": True}

    def socket(ws):  # the server is unreachable while reachable["yes"] is False
        if reachable["yes"]:
            ws.connect_to_server()

    page.route_web_socket("**/ws/sessions/*", socket)
    browser_join(page, live.url, code, "Piet", session_id)
    wait_online(page)
    state = page.evaluate("() => window.workshopBoard.state")
    phase = min(state["phases"], key=lambda p: p["position"])["id"]
    lane = next(lane["id"] for lane in state["lanes"] if lane["kind"] == "innovations")

    reachable["yes"] = False
    page.evaluate("() => window.workshopBoard.live.reconnect()")  # the next socket goes nowhere
    add_card(page, phase, lane, "Voor het herladen")
    expect(card(page, "Voor het herladen")).to_be_visible()
    page.reload()
    expect(in_cell(page, phase, lane, "Voor het herladen")).to_be_visible()  # from sessionStorage
    expect(card(page, "Voor het herladen")).to_have_class("card pending")
    reachable["yes"] = True
    page.evaluate("() => window.workshopBoard.live.reconnect()")
    wait_online(page)
    page.wait_for_function("() => window.workshopBoard.live.outbox.length === 0")
    expect(card(page, "Voor het herladen")).to_have_count(1)
    expect(card(page, "Voor het herladen")).to_have_class("card")
    with app.app_context():
        from workshop.db import db
        from workshop.models import Card
        assert [c.title for c in db.session.query(Card).filter_by(session_id=session_id)
                if c.title == "Voor het herladen"] == ["Voor het herladen"]
        db.session.remove()
    ctx.close()
