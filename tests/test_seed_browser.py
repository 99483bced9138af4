"""A formula's own text in Chromium: the library panel of a Toezicht board offers the Toezicht card."""
from __future__ import annotations

import os

import pytest

from conftest import browser_login
from live_server import LiveServer

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SCREENSHOT_DIR")


def test_library_card_on_a_toezicht_board_has_the_toezicht_text(app, chromium, facilitator, make_session):
    sid, _code = make_session(facilitator, title="Handhaving", formula="toezicht", with_cards=False)
    with LiveServer(app) as server:
        ctx = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="nl-NL")
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        browser_login(page, server.url)
        page.goto(f"{server.url}/s/{sid}")
        # "Geen" where the source says so, and nothing invented where it is silent
        names = page.locator("tr.lane-current td.cell .current-name").all_inner_texts()
        assert names == ["Geen"] * 6 + ["Kennismening besluit"]
        if page.locator("#library-panel").is_hidden():
            page.click("#toggle-library")
        page.fill("#lib-q", "Multimachtiging")
        entry = page.locator("#library-list .lib-entry", has_text="Multimachtiging")
        entry.locator(".lib-statement", has_text="Ik ontvang automatisch het besluit.").wait_for()
        entry.locator(".lib-add").click()
        assert page.locator("#cd-statement").input_value() == "Ik ontvang automatisch het besluit."
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "toezicht-library-1366.png"))
        page.click("#card-form button[type=submit]")
        page.locator(".card:not(.pending)", has_text="Ik ontvang automatisch het besluit.").wait_for()
        snap = ctx.request.get(f"{server.url}/api/sessions/{sid}").json()
        card = next(c for c in snap["cards"] if c["title"] == "Multimachtiging")
        assert (card["statement"], card["channels"]) == ("Ik ontvang automatisch het besluit.", ["website-dso"])
        assert errors == []
        ctx.close()
