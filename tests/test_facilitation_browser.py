"""A whole pressure-cooker session in Chromium: template → rounds → cards → dot voting → template → new session."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import browser_join, browser_login
from live_server import LiveServer

pytestmark = pytest.mark.browser

SHOTS_DIR = os.environ.get("SCREENSHOT_DIR")  # e.g. docs/screenshots, to refresh the documented views
VIEWPORT = {"width": 1600, "height": 1000}


def _eventually(page, locator, timeout=4000):
    """Wait for something another browser caused: it arrives live, without a reload."""
    locator.first.wait_for(timeout=timeout)


def _shape(snap):
    phases = sorted(snap["phases"], key=lambda p: p["position"])
    lanes = sorted(snap["lanes"], key=lambda lane: lane["position"])
    pidx = {p["id"]: i for i, p in enumerate(phases)}
    lidx = {lane["id"]: i for i, lane in enumerate(lanes)}
    return ([(p["current_name"], p["desired_name"]) for p in phases], [(lane["kind"], lane["name"]) for lane in lanes],
            sorted((pidx[c["phase_id"]], lidx[c["lane_id"]], c["title"]) for c in snap["cards"]))


def test_whole_session_in_chromium(app, chromium, facilitator, tmp_path):
    SHOTS = Path(SHOTS_DIR) if SHOTS_DIR else tmp_path
    SHOTS.mkdir(parents=True, exist_ok=True)
    with LiveServer(app) as server:
        base = server.url
        fctx = chromium.new_context(viewport=VIEWPORT, locale="nl-NL")
        fac = fctx.new_page()
        errors = []
        fac.on("pageerror", lambda e: errors.append(str(e)))
        fac.on("dialog", lambda d: d.accept())
        browser_login(fac, base)

        # 1. from the Ontwikkelformule template
        fac.goto(f"{base}/templates")
        fac.locator(".template-card", has=fac.locator("h2", has_text="Ontwikkelformule")) \
            .get_by_role("link", name=re.compile("Start")).click()
        fac.fill("#title", "Omgevingsvergunning – sessie 1")
        fac.click("main form button[type=submit]")
        fac.wait_for_url(re.compile(r"/s/\d+$"))
        sid = int(fac.url.rstrip("/").split("/")[-1])
        code = fac.locator("#join-code").inner_text().replace("-", "")
        # before the first round starts the timer is idle: no countdown, no round name as if running
        expect(fac.locator("#round-label")).to_have_text("Geen ronde bezig")
        expect(fac.locator("#countdown")).to_have_text("–:––")
        expect(fac.locator("#round-instructions")).to_have_text("Volgende ronde: Welkom en doel van de sessie (10 min)")

        # 2. three participants join
        people = []
        for name in ("Anna", "Bram", "Chris"):
            ctx = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            browser_join(page, base, code, name, sid)
            people.append(page)

        # 3. two timed rounds, shortened for the test
        fac.evaluate("""() => window.workshopBoard.send({type: 'agenda.set', rounds: [
            {name: 'Huidige klantreis', duration_seconds: 10, focus_lane_kind: 'current',
             instructions: 'Benoem de fasen van vandaag en de knelpunten die de klant ervaart.'},
            {name: 'Dienstinnovaties', duration_seconds: 12, focus_lane_kind: 'innovations',
             instructions: 'Kies kaarten uit de bibliotheek of maak nieuwe, per fase.'},
            {name: 'Prioriteren', duration_seconds: 600, focus_lane_kind: 'innovations'}]})""")
        expect(fac.locator("[data-timer=start]")).to_contain_text("Huidige klantreis")
        fac.click("[data-timer=start]")
        expect(fac.locator("#round-timer")).to_have_attribute("data-status", "running")
        _eventually(people[0], people[0].locator("#round-timer[data-status=running]"))
        expect(people[0].locator("#round-label")).to_have_text("Huidige klantreis")
        fac.screenshot(path=str(SHOTS / "facilitator-timed-round.png"))
        # zero: everyone sees it, the countdown says so
        expect(fac.locator("#round-timer")).to_have_attribute("data-status", "up", timeout=15000)
        expect(fac.locator("#countdown")).to_contain_text("0:00")
        _eventually(people[1], people[1].locator("#round-timer[data-status=up]"))
        expect(people[1].locator("#countdown")).to_contain_text("0:00")

        fac.click("[data-timer=next]")
        expect(fac.locator("#round-label")).to_have_text("Dienstinnovaties")
        _eventually(people[0], people[0].locator("#round-label", has_text="Dienstinnovaties"))

        # 4. participants add cards in the innovations lane while the round runs
        titles = ["Spreekuur in de wijk", "Digitale plantafel", "Vaste contactpersoon"]
        for i, (page, title) in enumerate(zip(people, titles)):
            page.locator("tr.lane-innovations td.cell").nth(i).locator(".add-card").click()
            page.fill("#cd-title", title)
            page.click("#card-form button[type=submit]")
            page.locator(".card-title", has_text=title).wait_for()
        expect(fac.locator("#round-timer")).to_have_attribute("data-status", "up", timeout=15000)
        fac.click("[data-timer=next]")
        expect(fac.locator("#round-label")).to_have_text("Prioriteren")

        # 5. dot voting: 3 votes each, at most 2 per card (the cards arrived live on every screen)
        for page in [fac, *people]:
            for t in titles:
                page.locator(".card-title", has_text=t).wait_for(timeout=4000)
        fac.click("#control-more summary")  # the vote's budget sits in the "More settings" drawer
        fac.fill("#ctl-vote-max", "2")
        fac.click("[data-vote=open]")
        expect(fac.locator("#vote-status")).to_contain_text("Dienstinnovaties")
        plans = [[0, 0, 1], [1, 1, 2], [0, 0, 1]]  # card index per vote: 4, 4, 1 (a tie for first)
        for page, plan in zip(people, plans):
            _eventually(page, page.locator(".vote-plus"))
            for idx in plan:
                card = page.locator(".card", has=page.locator(".card-title", has_text=titles[idx]))
                before = page.locator(".vote-status .budget").inner_text()
                card.locator(".vote-plus").click()
                expect(page.locator(".vote-status .budget")).not_to_have_text(before)
            if page is people[0]:
                page.screenshot(path=str(SHOTS / "participant-voting.png"))
            # the budget is spent: every + is disabled, and the server agrees
            expect(page.locator(".vote-status .budget")).to_contain_text("0")
            assert all(b.is_disabled() for b in page.locator(".vote-plus").all())
        # Anna's third vote on the same card would have been refused: at most 2 per card
        anna = people[0]
        first = anna.locator(".card", has=anna.locator(".card-title", has_text=titles[0]))
        assert first.locator(".vote-plus").is_disabled()
        # hidden until revealed: no counts on anyone's screen
        assert fac.locator(".vote-badge").count() == 0
        _eventually(fac, fac.locator("#vote-status", has_text="9"))

        # 6. reveal and close
        fac.click("[data-vote=reveal]")
        expect(fac.locator(".vote-status .ranking li").first).to_contain_text(titles[0])
        # the tie shares the first place and the next card is third, as in the report (export/summary.py)
        ranks = fac.locator(".vote-status .ranking li")
        assert [ranks.nth(i).locator(".rank-no").inner_text() for i in range(3)] == ["1.", "1.", "3."]
        assert [ranks.nth(i).get_attribute("value") for i in range(3)] == ["1", "1", "3"]  # for screen readers too
        assert titles[2] in ranks.nth(2).inner_text()
        expect(fac.locator(".card", has=fac.locator(".card-title", has_text=titles[0])).locator(".vote-badge")) \
            .to_have_text("4")
        _eventually(people[2], people[2].locator(".vote-badge"))
        fac.screenshot(path=str(SHOTS / "facilitator-vote-revealed.png"))
        fac.click("[data-vote=close]")
        expect(fac.locator("#vote-status")).to_have_attribute("data-status", "closed")
        snap = fctx.request.get(f"{base}/api/sessions/{sid}").json()
        votes = {c["title"]: c["votes"] for c in snap["cards"] if c["title"] in titles}
        assert votes == {titles[0]: 4, titles[1]: 4, titles[2]: 1}

        # 7. save as template, with the cards
        fac.get_by_role("link", name="Opslaan als sjabloon").or_(fac.get_by_role("link", name="Save as template")).first.click()
        fac.fill("#name", "Ontwikkel met eigen kaarten")
        fac.check("#with_cards")
        fac.click("main form button[type=submit]")
        fac.wait_for_url(re.compile(r"/templates"))
        card = fac.locator(".template-card", has=fac.locator("h2", has_text="Ontwikkel met eigen kaarten"))
        expect(card).to_be_visible()

        # 8. a new session from that template shows the same phases, lanes and cards
        card.get_by_role("link", name=re.compile("Start")).click()
        fac.fill("#title", "Omgevingsvergunning – sessie 2")
        fac.click("main form button[type=submit]")
        fac.wait_for_url(re.compile(r"/s/\d+$"))
        new_sid = int(fac.url.rstrip("/").split("/")[-1])
        assert new_sid != sid
        for t in titles:
            expect(fac.locator("tr.lane-innovations .card-title", has_text=t)).to_have_count(1)
        new_snap = fctx.request.get(f"{base}/api/sessions/{new_sid}").json()
        assert _shape(new_snap) == _shape(snap)
        assert [h.strip() for h in fac.locator("th.phase-head .phase-name").all_inner_texts()] == \
            [p["desired_name"] or p["current_name"] for p in sorted(snap["phases"], key=lambda p: p["position"])]
        assert [r["name"] for r in new_snap["agenda"]] == ["Huidige klantreis", "Dienstinnovaties", "Prioriteren"]
        assert errors == []
        for page in people:
            page.context.close()
        fctx.close()


def test_board_controls_reach_participants_in_chromium(app, chromium, facilitator, make_session):
    sid, code = make_session(facilitator, formula="ontwikkel")
    with LiveServer(app) as server:
        base = server.url
        fctx = chromium.new_context(viewport=VIEWPORT, locale="nl-NL")
        fac = fctx.new_page()
        errors = []
        fac.on("pageerror", lambda e: errors.append(str(e)))
        fac.on("dialog", lambda d: d.accept())
        browser_login(fac, base)
        fac.goto(f"{base}/s/{sid}")
        pctx = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
        anna = pctx.new_page()
        anna.on("pageerror", lambda e: errors.append(str(e)))
        browser_join(anna, base, code, "Anna", sid)
        expect(anna.locator(".add-card").first).to_be_visible()

        # the agenda editor: change the first round, save, everyone sees it
        fac.click("#agenda-toggle")
        first = fac.locator("#agenda-list li").first
        first.locator(".ag-name").fill("Kennismaken")
        first.locator(".ag-min").fill("5")
        first.locator(".ag-ins").fill("Noem je naam en je afdeling.")
        fac.click("#agenda-save")
        # not started yet: everyone sees which round comes next, the countdown stays idle
        expect(fac.locator("#round-instructions")).to_have_text("Volgende ronde: Kennismaken (5 min)")
        expect(fac.locator("#countdown")).to_have_text("–:––")
        _eventually(anna, anna.locator("#round-instructions", has_text="Volgende ronde: Kennismaken"))
        expect(anna.locator("#round-label")).to_have_text("Geen ronde bezig")

        # lock: the participant's page turns read-only, with a note saying why
        fac.check("#ctl-locked")
        _eventually(anna, anna.locator("#locked-note"))
        expect(anna.locator(".add-card").first).to_be_hidden()
        fac.uncheck("#ctl-locked")
        _eventually(anna, anna.locator(".add-card:visible"))

        # the participants list shows Anna online; the facilitator renames, then removes her
        fac.click("#participants-panel summary")
        row = fac.locator("#participants-list li", has_text="Anna")
        expect(row).to_have_class(re.compile("online"))
        fac.evaluate("() => { window.prompt = () => 'Anna de Vries'; }")
        row.get_by_role("button", name=re.compile("hernoem|rename", re.I)).click()
        expect(fac.locator("#participants-list li", has_text="Anna de Vries")).to_have_count(1)
        fac.locator("#participants-list li", has_text="Anna de Vries") \
            .get_by_role("button", name=re.compile("verwijder|remove", re.I)).click()
        expect(fac.locator("#participants-list li", has_text="Anna")).to_have_count(0)
        # her open page says so (the event reaches her before her connection is closed)
        expect(anna.locator(".removed-note")).to_be_visible(timeout=8000)
        # her link stops working at once
        assert pctx.request.get(f"{base}/api/sessions/{sid}").status == 404
        anna.reload()
        assert "404" in anna.title() or anna.locator("#journey").count() == 0
        assert errors == []
        pctx.close()
        fctx.close()


def test_formula_plate_is_edited_live_in_chromium(app, chromium, facilitator, make_session):
    sid, code = make_session(facilitator, formula="ontwikkel")
    with LiveServer(app) as server:
        base = server.url
        fctx = chromium.new_context(viewport=VIEWPORT, locale="nl-NL")
        fac = fctx.new_page()
        errors = []
        fac.on("pageerror", lambda e: errors.append(str(e)))
        browser_login(fac, base)
        fac.goto(f"{base}/s/{sid}/plate")
        pctx = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
        bram = pctx.new_page()
        bram.on("pageerror", lambda e: errors.append(str(e)))
        browser_join(bram, base, code, "Bram", sid)
        bram.goto(f"{base}/s/{sid}/plate")
        # the formula's guarantees and agreements are there, under their headings
        for heading in ("Beleving", "Toegang", "Service", "Assortiment", "Prijs", "HRM en Besturing", "Processen",
                        "Informatisering", "Financiën"):
            expect(bram.locator(f'.plate-heading[data-heading="{heading}"] h3')).to_have_text(heading)
        assert bram.locator('.plate-heading[data-heading="Beleving"] .plate-item').count() > 0

        # Bram adds a guarantee; the facilitator's open plate shows it
        bram.evaluate("() => { window.prompt = () => 'U krijgt binnen vijf dagen antwoord.'; }")
        bram.locator('.plate-heading[data-heading="Service"] .plate-add').click()
        bram.locator(".plate-item", has_text="binnen vijf dagen").wait_for()
        _eventually(fac, fac.locator('.plate-heading[data-heading="Service"] .plate-item', has_text="binnen vijf dagen"))

        # the facilitator edits it in place with the keyboard; Bram sees the new text
        item = fac.locator(".plate-item", has_text="binnen vijf dagen")
        item.locator(".plate-edit").click()
        fac.locator(".plate-item textarea").fill("U krijgt binnen drie dagen antwoord.")
        fac.keyboard.press("Enter")
        fac.locator(".plate-item", has_text="drie dagen").wait_for()
        _eventually(bram, bram.locator(".plate-item", has_text="drie dagen"))

        # tagline and personas
        fac.fill("#plate-tagline", "Samen bouwen aan de stad")
        fac.locator("#plate-tagline").blur()
        fac.fill("#plate-personas", "Ondernemer Olga, Bewoner Bas")
        fac.locator("#plate-personas").blur()
        fac.wait_for_timeout(300)
        snap = pctx.request.get(f"{base}/api/sessions/{sid}").json()
        assert snap["session"]["tagline"] == "Samen bouwen aan de stad"
        assert snap["session"]["personas"] == ["Ondernemer Olga", "Bewoner Bas"]
        assert errors == []
        pctx.close()
        fctx.close()
