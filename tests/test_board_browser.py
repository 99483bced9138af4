"""The board in Chromium, as a facilitator uses it: a journey grid from the Ontwerpformule."""
from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from conftest import browser_login
from live_server import LiveServer

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SCREENSHOT_DIR")


def test_board_from_ontwerpformule_in_chromium(app, chromium, facilitator, make_session, tmp_path):
    sid, code = make_session(facilitator, title="Omgevingsvergunning", formula="Ontwerp", with_cards=True)
    with LiveServer(app) as server:
        ctx = chromium.new_context(viewport={"width": 1600, "height": 1000}, locale="nl-NL")
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        browser_login(page, server.url)
        page.goto(f"{server.url}/s/{sid}")
        # the grid: phases as columns, the four lanes as rows, seed cards in their cells
        heads = page.locator("th.phase-head .phase-name").all_inner_texts()
        assert heads[:4] == ["Kansen zoeken", "Businessplan", "Verdieping", "Afstemming"]
        lanes = page.locator("th.lane-head .lane-name").all_inner_texts()
        assert lanes == ["Huidige klantreis", "Gewenste klantreis", "Dienstinnovaties & klantinteracties", "Backoffice"]
        first_innovations = page.locator("tr.lane-innovations td.cell").first
        assert "Stip op de kaart" in first_innovations.inner_text()
        assert "Ik stem mijn plannen af met de gemeente." in page.locator("tr.lane-desired").inner_text()
        assert page.locator("#join-code").inner_text() == f"{code[:3]}-{code[3:]}"
        page.screenshot(path=str(tmp_path / "board.png"))
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "board-ontwerp.png"))

        # add a card from the library panel: search, add, choose the cell, save
        page.fill("#lib-q", "Track")
        expect(page.locator("#library-list .lib-entry")).to_have_count(1)
        page.click("#library-list .lib-add")
        page.select_option("#cd-phase", index=1)
        page.click("#card-form button[type=submit]")
        cell = page.locator("tr.lane-innovations td.cell").nth(1)
        # shown at once (optimistic), then confirmed by the server
        card = cell.locator(".card:not(.pending)", has_text="Track & Trace")
        card.wait_for()
        # keyboard: focus the card, Alt+ArrowRight moves it one phase on
        card.focus()
        page.keyboard.press("Alt+ArrowRight")
        page.locator("tr.lane-innovations td.cell").nth(2).locator(".card-title", has_text="Track & Trace").wait_for()
        assert errors == []
        # the server agrees
        snap = ctx.request.get(f"{server.url}/api/sessions/{sid}").json()
        phase3 = snap["phases"][2]["id"]
        tt = [c for c in snap["cards"] if c["title"] == "Track & Trace"]
        assert len(tt) == 1 and tt[0]["phase_id"] == phase3
        ctx.close()
