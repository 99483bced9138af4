"""Two people in Chromium on one board: each sees the other's changes without reloading."""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
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

    fac.goto(f"{live.url}/login")
    fac.fill("#email", "fien@gemeente.nl")
    fac.fill("#password", PASSWORD)
    fac.locator('form button[type="submit"]').click()
    fac.goto(f"{live.url}/s/{session_id}")
    par.goto(f"{live.url}/j/{code}")
    par.fill("#display_name", "Piet")
    par.locator('form button[type="submit"]').click()
    par.wait_for_url(f"**/s/{session_id}")
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
    expect(card(fac, "Offline één")).to_have_count(0)
    par_ctx.set_offline(False)
    wait_online(par)
    expect(in_cell(fac, phases[0], lane, "Offline één")).to_be_visible()
    expect(in_cell(fac, phases[1], lane, "Offline twee")).to_be_visible()
    par.wait_for_function("() => window.workshopBoard.live.outbox.length === 0")
    fac.wait_for_function(f"() => window.workshopBoard.state.seq === "
                          f"{par.evaluate('() => window.workshopBoard.state.seq')}")
    assert board_cards(par) == board_cards(fac)
    assert fac.evaluate("() => window.workshopBoard.state.seq") == par.evaluate("() => window.workshopBoard.state.seq")
    fac_ctx.close()
    par_ctx.close()
