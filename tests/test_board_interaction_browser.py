"""The board in Chromium as people in a workshop room use it: keyboard focus after dialogs, drag and
drop, votes on cards, a locked board, a lost connection and the participants list."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import browser_join, browser_login
from live_server import LiveServer

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def server(app):
    with LiveServer(app) as s:
        yield s


def open_board(chromium, server, sid, *, facilitator=True, code=None, name="Anna"):
    ctx = chromium.new_context(viewport=LAPTOP, locale="nl-NL")
    page = ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("dialog", lambda d: d.accept())
    if facilitator:
        browser_login(page, server.url)
        page.goto(f"{server.url}/s/{sid}")
    else:
        browser_join(page, server.url, code, name, sid)
    page.wait_for_selector('#connection-state[data-state="online"]', timeout=10000)
    return ctx, page


@pytest.fixture
def room(chromium, server, facilitator, make_session):
    """A facilitator and a participant (Anna) on one Ontwerpformule board, both live."""
    sid, code = make_session(facilitator, formula="Ontwerp", with_cards=True)
    fctx, fac = open_board(chromium, server, sid)
    pctx, anna = open_board(chromium, server, sid, facilitator=False, code=code)
    yield fac, anna
    assert fac.errors == [] and anna.errors == []
    pctx.close()
    fctx.close()


def active(page) -> dict:
    """What has the keyboard focus: its class, and the card it belongs to."""
    return page.evaluate("""() => { const a = document.activeElement; const c = a && a.closest('.card');
        return {cls: a ? a.className : null, tag: a ? a.tagName : null,
                card: c ? c.querySelector('.card-title').textContent : null,
                cell: c ? [Number(c.closest('.cell').dataset.phaseId), Number(c.closest('.cell').dataset.laneId)] : null}; }""")


def cells(page, lane_kind="innovations"):
    return page.locator(f"tr.lane-{lane_kind} td.cell")


def test_focus_returns_to_the_card_after_edit_and_move_dialogs(chromium, server, facilitator, make_session):
    sid, _ = make_session(facilitator, formula="Ontwerp", with_cards=True)
    ctx, page = open_board(chromium, server, sid)
    # the script has taken over the server's first paint of the grid: every card once
    expect(page.locator("#journey")).to_have_attribute("data-rendered", "js")
    snap = ctx.request.get(f"{server.url}/api/sessions/{sid}").json()
    assert page.locator("#journey .card").count() == len(snap["cards"])
    card = cells(page).first.locator(".card").first
    title = card.locator(".card-title").inner_text()

    # keyboard only: the card's ⋯ button, Enter opens the menu, "Bewerken", type, Enter saves
    card.locator(".card-menu-btn").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#menu")).to_be_visible()
    page.get_by_role("menuitem", name="Bewerken").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#card-dialog")).to_be_visible()
    page.fill("#cd-title", f"{title} (nieuw)")
    page.keyboard.press("Enter")
    page.locator(".card:not(.pending) .card-title", has_text=f"{title} (nieuw)").wait_for()
    page.wait_for_timeout(300)  # the server's event redraws the grid once more
    now = active(page)
    assert now["card"] == f"{title} (nieuw)" and "card-menu-btn" in now["cls"], now

    # "Verplaatsen…" to the next phase: focus follows the card to its new cell
    page.keyboard.press("Enter")
    page.get_by_role("menuitem", name="Verplaatsen…").focus()
    page.keyboard.press("Enter")
    page.select_option("#cd-phase", index=1)
    page.locator('#card-form button[type="submit"]').focus()
    page.keyboard.press("Enter")
    target = cells(page).nth(1)
    target.locator(".card:not(.pending) .card-title", has_text=f"{title} (nieuw)").wait_for()
    page.wait_for_timeout(300)
    now = active(page)
    second_cell = [int(target.get_attribute("data-phase-id")), int(target.get_attribute("data-lane-id"))]
    assert now["card"] == f"{title} (nieuw)" and now["cell"] == second_cell and "card-menu-btn" in now["cls"], now

    # Escape closes a dialog without change: focus goes back too
    page.keyboard.press("Enter")
    page.get_by_role("menuitem", name="Bewerken").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#card-dialog")).to_be_visible()  # as a user sees it open before Escape
    page.keyboard.press("Escape")
    expect(page.locator("#card-dialog")).to_be_hidden()
    page.wait_for_function("() => document.activeElement?.classList.contains('card-menu-btn')", timeout=3000)
    assert page.errors == []
    ctx.close()


def test_a_library_drop_works_after_a_card_drag(chromium, server, facilitator, make_session):
    sid, _ = make_session(facilitator, formula="Ontwerp", with_cards=True)
    ctx, page = open_board(chromium, server, sid)
    card = cells(page).first.locator(".card").first
    title = card.locator(".card-title").inner_text()
    card.scroll_into_view_if_needed()
    near_top = {"x": 40, "y": 40}  # the cells are taller than the window
    # drag a card to the next phase: the redraw removes the dragged element (no dragend)
    card.drag_to(cells(page).nth(1), target_position=near_top)
    cells(page).nth(1).locator(".card:not(.pending) .card-title", has_text=title).wait_for()
    # then a library entry onto the first cell
    page.fill("#lib-q", "Track")
    entry = page.locator("#library-list .lib-entry", has_text="Track & Trace")
    expect(entry).to_have_count(1)
    entry.drag_to(cells(page).first, target_position=near_top)
    cells(page).first.locator(".card:not(.pending) .card-title", has_text="Track & Trace").wait_for(timeout=5000)
    expect(page.locator(".drop-target")).to_have_count(0)
    snap = ctx.request.get(f"{server.url}/api/sessions/{sid}").json()
    assert [c["title"] for c in snap["cards"]].count("Track & Trace") == 1
    assert page.errors == []
    ctx.close()


def test_the_vote_badge_leaves_the_cards_menu_button_free(room):
    fac, anna = room
    lane = int(cells(fac).first.get_attribute("data-lane-id"))
    fac.evaluate(f"() => window.workshopBoard.send({{type: 'vote.open', lane_id: {lane}, votes_per_participant: 3, max_per_card: 3}})")
    plus = cells(anna).first.locator(".card").first.locator(".vote-plus")
    plus.click()
    expect(anna.locator(".vote-status .budget")).to_contain_text("2")
    fac.click("[data-vote=reveal]")
    card = cells(fac).first.locator(".card").first
    badge, menu_button = card.locator(".vote-badge"), card.locator(".card-menu-btn")
    expect(badge).to_have_text("1")
    card.scroll_into_view_if_needed()
    b, m = badge.bounding_box(), menu_button.bounding_box()
    overlap = not (b["x"] + b["width"] <= m["x"] or m["x"] + m["width"] <= b["x"]
                   or b["y"] + b["height"] <= m["y"] or m["y"] + m["height"] <= b["y"])
    assert not overlap, (b, m)
    # what a click on the middle of ⋯ reaches is the button itself
    hit = fac.evaluate("([x, y]) => document.elementFromPoint(x, y).className",
                       [m["x"] + m["width"] / 2, m["y"] + m["height"] / 2])
    assert "card-menu-btn" in hit
    menu_button.click()
    expect(fac.locator("#menu")).to_be_visible()


def test_a_locked_board_offers_no_library_add(room):
    fac, anna = room
    expect(anna.locator("#library-list .lib-add").first).to_be_visible()
    fac.check("#ctl-locked")
    expect(anna.locator("#locked-note")).to_be_visible()
    expect(anna.locator("#library-list .lib-add:visible")).to_have_count(0)
    assert anna.locator("#library-list .lib-entry[draggable=true]").count() == 0
    # the facilitator may still add from the library
    expect(fac.locator("#library-list .lib-add").first).to_be_visible()
    fac.uncheck("#ctl-locked")
    expect(anna.locator("#library-list .lib-add").first).to_be_visible()


def test_offline_shows_a_banner_and_nobody_is_claimed_online(room):
    fac, anna = room
    expect(anna.locator("#presence")).to_contain_text("2 online")
    anna.context.set_offline(True)
    banner = anna.locator("#connection-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Offline")
    expect(anna.locator("#presence")).not_to_contain_text("online")
    anna.click("#participants-panel summary")
    expect(anna.locator("#participants-list li.online")).to_have_count(0)
    anna.context.set_offline(False)
    anna.wait_for_selector('#connection-state[data-state="online"]', timeout=10000)
    expect(banner).to_be_hidden()
    expect(anna.locator("#presence")).to_contain_text("2 online")


def test_the_participants_list_closes_on_escape_and_on_a_click_elsewhere(room):
    fac, anna = room
    panel, summary = fac.locator("#participants-panel"), fac.locator("#participants-panel summary")
    summary.click()
    expect(fac.locator("#participants-list li", has_text="Anna")).to_be_visible()
    fac.keyboard.press("Escape")
    expect(panel).not_to_have_attribute("open", re.compile(".*"))
    assert fac.evaluate("() => document.activeElement.tagName") == "SUMMARY"
    summary.click()
    expect(fac.locator("#participants-list")).to_be_visible()
    fac.locator("h1").click()
    expect(fac.locator("#participants-list")).to_be_hidden()


def wait_live(page):
    page.wait_for_selector('#connection-state[data-state="online"]', timeout=10000)


def test_a_delete_refused_because_someone_else_deleted_first_keeps_the_card_gone(room):
    fac, anna = room
    card = cells(anna).first.locator(".card").first
    title = card.locator(".card-title").inner_text()
    card_id = card.get_attribute("data-card-id")
    anna.context.set_offline(True)
    expect(anna.locator("#connection-state")).to_have_attribute("data-state", "offline")
    card.focus()
    anna.keyboard.press("Delete")  # confirm() is accepted
    expect(anna.locator(f"#card-{card_id}")).to_have_count(0)  # shown at once, waiting to be sent
    fac.evaluate(f"() => window.workshopBoard.send({{type: 'card.delete', id: {card_id}}})")
    expect(fac.locator(f"#card-{card_id}")).to_have_count(0)
    anna.context.set_offline(False)
    wait_live(anna)
    # the server refuses Anna's delete (unknown card): she is told, and the card does not come back
    expect(anna.locator("#toast")).to_be_visible()
    anna.wait_for_function("() => window.workshopBoard.live.outbox.length === 0")
    expect(anna.locator(".card-title", has_text=title)).to_have_count(0)
    assert anna.evaluate("() => window.workshopBoard.store.pending.length") == 0


def test_an_edit_refused_after_the_facilitator_renamed_shows_the_facilitators_title(room):
    fac, anna = room
    card = cells(anna).first.locator(".card").first
    card_id = card.get_attribute("data-card-id")
    anna.context.set_offline(True)
    expect(anna.locator("#connection-state")).to_have_attribute("data-state", "offline")
    card.dblclick()
    anna.fill("#cd-title", "Anna's titel")
    anna.locator('#card-form button[type="submit"]').click()
    expect(anna.locator(f"#card-{card_id} .card-title")).to_have_text("Anna's titel")
    # meanwhile the facilitator renames the card and locks the board: Anna's edit will be refused
    fac.evaluate(f"() => window.workshopBoard.send({{type: 'card.update', id: {card_id}, title: 'Titel van Fien'}})")
    fac.check("#ctl-locked")
    expect(fac.locator("#locked-note")).to_be_visible()
    anna.context.set_offline(False)
    wait_live(anna)
    expect(anna.locator("#toast")).to_be_visible()
    anna.wait_for_function("() => window.workshopBoard.live.outbox.length === 0")
    expect(anna.locator(f"#card-{card_id} .card-title")).to_have_text("Titel van Fien")


def test_a_plate_line_being_typed_survives_someone_elses_change(chromium, server, facilitator, make_session):
    sid, code = make_session(facilitator, formula="ontwikkel")
    fctx, fac = open_board(chromium, server, sid)
    fac.goto(f"{server.url}/s/{sid}/plate")
    wait_live(fac)
    pctx, bram = open_board(chromium, server, sid, facilitator=False, code=code, name="Bram")
    bram.goto(f"{server.url}/s/{sid}/plate")
    wait_live(bram)
    fac.locator('.plate-heading[data-heading="Beleving"] .plate-item .plate-edit').first.click()
    box = fac.locator(".plate-item textarea")
    box.fill("Half getypt")
    bram.evaluate("() => { window.prompt = () => 'U krijgt binnen vijf dagen antwoord.'; }")
    bram.locator('.plate-heading[data-heading="Service"] .plate-add').click()
    fac.locator(".plate-item", has_text="binnen vijf dagen").wait_for()
    expect(box).to_have_value("Half getypt")
    assert fac.errors == [] and bram.errors == []
    pctx.close()
    fctx.close()


def test_with_names_hidden_a_participant_edits_her_own_cards_only(chromium, server, facilitator, make_session):
    """"Namen verbergen" with "own cards only": Anna still recognises her own card (new, and after a
    reload) and edits it from the board; Bram's card offers her no edit and no drag."""
    sid, code = make_session(facilitator, formula="Ontwerp", with_cards=True)
    fctx, fac = open_board(chromium, server, sid)
    actx, anna = open_board(chromium, server, sid, facilitator=False, code=code, name="Anna")
    bctx, bram = open_board(chromium, server, sid, facilitator=False, code=code, name="Bram")
    fac.evaluate("() => window.workshopBoard.send({type: 'session.settings', anonymous: true, edit_policy: 'own'})")
    anna.wait_for_function("() => window.workshopBoard.store.view.session.settings.edit_policy === 'own'")
    bram.evaluate("() => window.workshopBoard.send({type: 'card.add', phase_id: %d, lane_id: %d, title: 'Wachtrij-sms'})"
                  % tuple(int(cells(bram).first.get_attribute(a)) for a in ("data-phase-id", "data-lane-id")))
    # Anna adds a card the way she would: the cell's + button and the dialog
    cells(anna).first.locator(".add-card").click()
    anna.fill("#cd-title", "Digitaal loket")
    anna.locator('#card-form button[type="submit"]').click()
    anna.wait_for_function("() => window.workshopBoard.store.pending.length === 0")
    own = anna.locator(".card", has=anna.locator(".card-title", has_text="Digitaal loket"))
    other = anna.locator(".card", has=anna.locator(".card-title", has_text="Wachtrij-sms"))
    expect(other).to_have_count(1)
    for reload in (False, True):
        if reload:  # the snapshot, not the page's memory of its card.add
            anna.reload()
            wait_live(anna)
        expect(own).to_have_attribute("draggable", "true")
        expect(other).to_have_attribute("draggable", "false")
        other.dblclick()
        expect(anna.locator("#card-dialog")).to_be_hidden()
        own.dblclick()
        expect(anna.locator("#card-dialog")).to_be_visible()
        title = f"Digitaal loket {int(reload) + 1}"
        anna.fill("#cd-title", title)
        anna.locator('#card-form button[type="submit"]').click()
        expect(fac.locator(".card-title", has_text=title)).to_have_count(1)
        own = anna.locator(".card", has=anna.locator(".card-title", has_text=title))
    # and neither sees the other's name on the board
    assert "Anna" not in bram.locator("#journey").inner_text() and "Bram" not in anna.locator("#journey").inner_text()
    assert fac.errors == [] and anna.errors == [] and bram.errors == []
    for ctx in (bctx, actx, fctx):
        ctx.close()
